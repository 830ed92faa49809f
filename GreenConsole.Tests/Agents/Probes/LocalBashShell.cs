using System.Diagnostics;
using GreenConsole.Core.Remote;

namespace GreenConsole.Tests.Agents.Probes;

/// <summary>
/// A real shell on this machine behind the IRemoteShell port: runs the command with /bin/bash -c, as sshd would
/// run it in the remote login shell. Used to test the probe end to end without an SSH server.
/// </summary>
internal sealed class LocalBashShell : IRemoteShell
{
    /// <summary>The shell that runs commands; /bin/sh (dash on Debian) proves the probe loop is POSIX.</summary>
    public string ShellPath { get; init; } = "/bin/bash";

    /// <summary>One-shot commands run.</summary>
    public int Calls { get; private set; }

    /// <summary>Sessions opened.</summary>
    public int Sessions { get; private set; }

    /// <summary>Pids of the session shells started, in order.</summary>
    public List<int> SessionPids { get; } = [];

    /// <summary>Replaces a session's command, to play a remote loop that hangs or dies.</summary>
    public string? SessionCommand { get; set; }

    public Task<IRemoteSession> OpenSessionAsync(SshTarget target, string command, CancellationToken cancellationToken)
    {
        Sessions++;
        var start = new ProcessStartInfo(ShellPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(SessionCommand ?? command);
        var process = Process.Start(start)!;
        SessionPids.Add(process.Id);
        return Task.FromResult<IRemoteSession>(new LocalSession(process));
    }

    public async Task<RemoteCommandResult> RunAsync(SshTarget target, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Calls++;
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo(ShellPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return new RemoteCommandResult(process.ExitCode, await stdout, await stderr, watch.Elapsed);
    }

    public Task UploadAsync(SshTarget target, string localPath, string remotePath, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DownloadAsync(SshTarget target, string remotePath, string localPath, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<TransferResult> CopyBetweenAsync(SshTarget source, string sourcePath, SshTarget destination, string destinationPath, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ConnectionCheck> CheckAsync(SshTarget target, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DisconnectAsync(SshTarget target, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> ReadHostKeysAsync(SshTarget target, CancellationToken cancellationToken) => throw new NotSupportedException();


    private sealed class LocalSession(Process process) : IRemoteSession
    {
        private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();

        public int? ProcessId => process.Id;

        public bool HasExited => process.HasExited;

        public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
        {
            try
            {
                await process.StandardInput.WriteAsync((line + "\n").AsMemory(), cancellationToken);
                await process.StandardInput.FlushAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                // As the port says: a session that ended fails with RemoteShellException.
                throw new RemoteShellException(RemoteErrorKind.ClientError, $"local session ended: {ex.Message}", ex);
            }
        }

        public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken);
            if (line is not null)
            {
                return line;
            }

            await process.WaitForExitAsync(cancellationToken);
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"local session ended (exit {process.ExitCode}): {await _stderr}");
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The shell is already gone; its pipe had nobody left to flush to.
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }
}
