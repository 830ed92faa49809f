using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Ssh;

/// <summary>Latency of a first SSH command (fresh master connection) and of multiplexed commands over it.</summary>
public sealed record SshLatencyReport(string CloudId, double FirstCommandMs, double MultiplexedP50Ms, double MultiplexedP95Ms, int Iterations);

/// <summary>Measures what a command costs over the control plane; backs the CLI's "bench ssh".</summary>
public static class SshLatencyBenchmark
{
    public static Task<SshLatencyReport> RunAsync(IRemoteShell shell, SshTarget target, int iterations, CancellationToken ct) =>
        RunAsync(shell, target, iterations, TimeProvider.System, ct);

    public static async Task<SshLatencyReport> RunAsync(IRemoteShell shell, SshTarget target, int iterations, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var limit = TimeSpan.FromSeconds(30);

        // Closing any existing master makes the first command pay for TCP, key exchange and authentication.
        await shell.DisconnectAsync(target, ct).ConfigureAwait(false);
        var first = await TimeOne(shell, target, limit, time, ct).ConfigureAwait(false);

        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            samples[i] = await TimeOne(shell, target, limit, time, ct).ConfigureAwait(false);
        }

        Array.Sort(samples);
        return new SshLatencyReport(target.CloudId, first, Percentile(samples, 0.50), Percentile(samples, 0.95), iterations);
    }

    private static async Task<double> TimeOne(IRemoteShell shell, SshTarget target, TimeSpan limit, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var r = await shell.RunAsync(target, "true", limit, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"Benchmark command on cloud {target.CloudId} exited {r.ExitCode}.");
        }

        return time.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
