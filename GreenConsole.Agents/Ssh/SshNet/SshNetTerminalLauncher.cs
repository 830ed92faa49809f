using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Renci.SshNet;

namespace GreenConsole.Agents.Ssh.SshNet;

/// <summary>Login shells on SSH.NET's <see cref="ShellStream"/>: pty-req at open, window-change on resize, on the cloud's shared connection.</summary>
internal sealed class SshNetTerminalLauncher(SshNetRemoteShell shell, ILogger<SshNetTerminalLauncher> logger) : IRemoteTerminalLauncher
{
    private const int BufferBytes = 64 * 1024;

    public async Task<IRemoteTerminal> OpenAsync(SshTarget target, int rows, int cols, CancellationToken cancellationToken)
    {
        var client = await shell.ConnectedAsync(target, cancellationToken).ConfigureAwait(false);
        ShellStream stream;
        try
        {
            stream = client.CreateShellStream("xterm-256color", (uint)cols, (uint)rows, 0, 0, BufferBytes);
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            shell.Connections.Invalidate(target, client);
            throw SshNetErrors.Map(target, e, null, shell.Connections.ConnectTimeout, logger);
        }

        logger.LogInformation("Opened a terminal to {Cloud} ({Endpoint}) on the SSH.NET connection", target.CloudId, target.ToString());
        return new ShellTerminal(stream, ChannelOutput.Pump(stream, target.CloudId));
    }

    private sealed class ShellTerminal : IRemoteTerminal
    {
        private readonly ShellStream _stream;
        private readonly Stream _output;
        private int _closed;

        public ShellTerminal(ShellStream stream, Stream output)
        {
            _stream = stream;
            _output = output;
            _stream.Closed += (_, _) => Volatile.Write(ref _closed, 1);
        }

        public int? ProcessId => null;

        public bool HasExited => Volatile.Read(ref _closed) != 0;

        public async Task<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                var n = await _output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    Volatile.Write(ref _closed, 1);
                }

                return n;
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                Volatile.Write(ref _closed, 1);
                return 0;
            }
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            try
            {
                await _stream.WriteAsync(input, cancellationToken).ConfigureAwait(false);
                await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                Volatile.Write(ref _closed, 1);
                throw new IOException("The terminal's channel is closed.", e);
            }
        }

        public void Resize(int rows, int cols)
        {
            if (!HasExited)
            {
                _stream.ChangeWindowSize((uint)cols, (uint)rows, 0, 0);
            }
        }

        public ValueTask DisposeAsync()
        {
            Volatile.Write(ref _closed, 1);
            try
            {
                _stream.Dispose();
                _output.Dispose();
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                // Closed from the other side already.
            }

            return ValueTask.CompletedTask;
        }
    }
}
