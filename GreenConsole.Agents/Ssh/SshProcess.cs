using System.ComponentModel;
using System.Diagnostics;
using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Ssh;

internal sealed record SshProcessResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed);

/// <summary>The per-call time limit ran out; the process tree was killed.</summary>
internal sealed class SshProcessTimeoutException(TimeSpan limit, string standardError)
    : Exception($"The ssh client did not finish within {limit.TotalSeconds:0.###} s.")
{
    public TimeSpan Limit { get; } = limit;
    public string StandardError { get; } = standardError;
}

/// <summary>Runs one OpenSSH client process with stdin closed, bounded in time, killed (whole tree) on timeout or cancellation.</summary>
internal static class SshProcess
{
    /// <summary>How long to wait for the output pipes after exit; a detached ControlPersist master never holds them.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        // The app's identities are explicit; an inherited agent or askpass must not change who we log in as.
        psi.Environment.Remove("SSH_AUTH_SOCK");
        psi.Environment.Remove("SSH_ASKPASS");
        psi.Environment.Remove("SSH_ASKPASS_REQUIRE");
        psi.Environment.Remove(OpenSshRemoteShell.SecretVariable);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        return psi;
    }

    public static Process Start(ProcessStartInfo psi)
    {
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"Could not start '{psi.FileName}': {ex.Message}", ex);
        }

        return process;
    }

    public static async Task<SshProcessResult> RunAsync(
        ProcessStartInfo psi, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = time.GetTimestamp();
        using var process = Start(psi);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var limit = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);

            // A multiplexed client hands its pipe ends to the master, which keeps them open until the remote command
            // ends, so waiting for EOF here would wait for the very command being aborted. Take what already arrived.
            Observe(stdout);
            Observe(stderr);
            var err = stderr.IsCompletedSuccessfully ? stderr.Result : string.Empty;
            cancellationToken.ThrowIfCancellationRequested();
            throw new SshProcessTimeoutException(timeout, err);
        }

        var output = await Drain(stdout).ConfigureAwait(false);
        var error = await Drain(stderr).ConfigureAwait(false);
        return new SshProcessResult(process.ExitCode, output, error, time.GetElapsedTime(started));
    }

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(DrainLimit);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill: nothing left to stop.
        }
    }

    private static void Observe(Task<string> read) =>
        read.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static async Task<string> Drain(Task<string> read)
    {
        try
        {
            return await read.WaitAsync(DrainLimit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A grandchild kept the pipe open; what was read so far is all the caller gets.
            return string.Empty;
        }
    }
}
