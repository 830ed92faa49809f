using System.Collections.Concurrent;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Data;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>
/// The latest preflight verdict per job and cloud (singleton, written by the controller and the submit path). A cloud
/// that failed a job's preflight is no migration candidate for that job until <see cref="RetryAfter"/> has passed.
/// </summary>
public sealed class PreflightStore(TimeProvider time)
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<(string Job, int Cloud), (PreflightResult Result, DateTimeOffset At)> _results = new();

    public void Record(string jobId, int cloudId, PreflightResult result) => _results[(jobId, cloudId)] = (result, time.GetUtcNow());

    public IReadOnlyList<PreflightResult> Of(string jobId) =>
        [.. _results.Where(kv => kv.Key.Job == jobId).OrderBy(kv => kv.Key.Cloud).Select(kv => kv.Value.Result)];

    /// <summary>False for a cloud the job's definition does not allow, or one that failed its preflight recently.</summary>
    public bool Allows(JobEntity job, int cloudId, IReadOnlyList<string>? allowedClouds)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (allowedClouds is { Count: > 0 } && !allowedClouds.Contains(CloudKeys.Of(cloudId), StringComparer.Ordinal))
        {
            return false;
        }

        return !_results.TryGetValue((job.Id, cloudId), out var r) || r.Result.Ok || time.GetUtcNow() - r.At >= RetryAfter;
    }
}
