using System.Diagnostics;
using GreenConsole.Core.Remote;

namespace GreenConsole.Tests.Agents.Probes;

/// <summary>
/// A real shell on this machine behind the IRemoteShell port: runs the command with /bin/bash -c, as sshd would
/// run it in the remote login shell. Used to test the probe end to end without an SSH server.
/// </summary>
internal sealed class LocalBashShell : IRemoteShell
{
    public int Calls { get; private set; }

    public async Task<RemoteCommandResult> RunAsync(SshTarget target, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Calls++;
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
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
}
