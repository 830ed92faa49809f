using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Agents.Terminal;

/// <summary>Runs the OpenSSH client on a local pseudo-terminal so that resizes reach the remote shell.</summary>
internal sealed class SshTerminalLauncher(OpenSshRemoteShell shell, ILogger<SshTerminalLauncher> logger) : IRemoteTerminalLauncher
{
    public async Task<IRemoteTerminal> OpenAsync(SshTarget target, int rows, int cols, CancellationToken cancellationToken)
    {
        var (path, arguments, environment) = await shell.InteractiveStartAsync(target, cancellationToken);
        var pty = PtyProcess.Start(path, arguments, environment, rows, cols);
        logger.LogInformation("Opened a terminal to {Cloud} ({Endpoint}), ssh pid {Pid}", target.CloudId, target.ToString(), pty.Pid);
        return new PtyTerminal(pty);
    }

    private sealed class PtyTerminal(PtyProcess pty) : IRemoteTerminal
    {
        public int? ProcessId => pty.Pid;

        public bool HasExited => pty.HasExited;

        public async Task<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                return await pty.Stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                // EIO from the master side is how Linux reports that the client closed the terminal.
                return 0;
            }
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            await pty.Stream.WriteAsync(input, cancellationToken);
            await pty.Stream.FlushAsync(cancellationToken);
        }

        public void Resize(int rows, int cols) => pty.Resize(rows, cols);

        public ValueTask DisposeAsync() => pty.DisposeAsync();
    }
}
