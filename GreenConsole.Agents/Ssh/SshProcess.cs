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

/// <summary>The command printed more than its cap on stdout; the process tree was killed.</summary>
internal sealed class SshProcessOutputLimitException(long limit, string standardError)
    : Exception($"The command printed more than {limit} bytes on stdout.")
{
    public long Limit { get; } = limit;
    public string StandardError { get; } = standardError;
}

/// <summary>Caps on what one command may print: a cloud may be hostile, and its output must not fill the controller's memory.</summary>
internal sealed record SshOutputLimits(int MaxOutputBytes, int MaxErrorBytes)
{
    public static readonly SshOutputLimits Default = new(16 * 1024 * 1024, 64 * 1024);
}

/// <summary>Runs one OpenSSH client process with stdin closed, bounded in time, killed (whole tree) on timeout or cancellation.</summary>
internal static class SshProcess
{
    /// <summary>How long to wait for the output pipes after exit; a detached ControlPersist master never holds them.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    /// <summary>What a child may inherit from the app's environment; everything else is left out.</summary>
    internal static readonly string[] AllowedEnvironment = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR"];

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

        // Children (and a ControlPersist master lives for minutes) get an allow-listed environment: the app's own
        // variables hold secrets (Auth__AdminPassword, tokens), and an inherited agent or askpass must not change who
        // we log in as.
        var inherited = AllowedEnvironment.ToDictionary(n => n, System.Environment.GetEnvironmentVariable);
        psi.Environment.Clear();
        foreach (var (k, v) in inherited)
        {
            if (v is not null)
            {
                psi.Environment[k] = v;
            }
        }

        psi.Environment.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        psi.Environment["LANG"] = "C.UTF-8";
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
        ProcessStartInfo psi, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken, SshOutputLimits? limits = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        limits ??= SshOutputLimits.Default;
        var started = time.GetTimestamp();
        using var process = Start(psi);
        process.StandardInput.Close();
        using var overflow = new CancellationTokenSource();
        var stdout = BoundedRead.ReadAsync(process.StandardOutput.BaseStream, limits.MaxOutputBytes, overflow.Cancel);
        var stderr = BoundedRead.ReadAsync(process.StandardError.BaseStream, limits.MaxErrorBytes, onOverflow: null);

        using var limit = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token, overflow.Token);
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
            var err = stderr.IsCompletedSuccessfully ? stderr.Result.Text : string.Empty;
            cancellationToken.ThrowIfCancellationRequested();
            if (overflow.IsCancellationRequested)
            {
                throw new SshProcessOutputLimitException(limits.MaxOutputBytes, err);
            }

            throw new SshProcessTimeoutException(timeout, err);
        }

        var output = await Drain(stdout).ConfigureAwait(false);
        var error = await Drain(stderr).ConfigureAwait(false);
        if (output.Truncated)
        {
            // It overflowed as it exited: still not an answer to trust.
            throw new SshProcessOutputLimitException(limits.MaxOutputBytes, error.Text);
        }

        return new SshProcessResult(process.ExitCode, output.Text, error.Text, time.GetElapsedTime(started));
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

    private static void Observe(Task<BoundedText> read) =>
        read.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static async Task<BoundedText> Drain(Task<BoundedText> read)
    {
        try
        {
            return await read.WaitAsync(DrainLimit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A grandchild kept the pipe open; what was read so far is all the caller gets.
            return new BoundedText(string.Empty, 0, false);
        }
    }
}
