using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using Microsoft.Extensions.Options;
using Quartz;

namespace GreenConsole.Web.Health;

/// <summary>
/// Checks every registered cloud once: reachability, round trip and host key. The first key seen is pinned;
/// a different key later is reported as <see cref="RemoteErrorKind.HostKeyChanged"/> and never re-pinned.
/// </summary>
public sealed class CloudHealthChecker(
    CloudRepository clouds,
    IRemoteShell shell,
    CloudHealthStore store,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<CloudHealthChecker> logger)
{
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        var summaries = await clouds.ListAsync(cancellationToken);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxParallelChecks, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(summaries, parallel, async (cloud, ct) => await CheckOneAsync(cloud.Id, ct));
        store.CycleCompleted(time.GetUtcNow());
    }

    public async Task<CloudHealth?> CheckOneAsync(int cloudId, CancellationToken cancellationToken)
    {
        var target = await clouds.GetTargetAsync(cloudId, cancellationToken);
        if (target is null)
        {
            store.Forget(cloudId);
            return null;
        }

        ConnectionCheck check;
        try
        {
            check = await shell.CheckAsync(target, cancellationToken);
        }
        catch (RemoteShellException ex)
        {
            check = new ConnectionCheck(false, null, null, ex.Kind, ex.Message);
        }

        var now = time.GetUtcNow();
        if (check.Reachable && target.PinnedFingerprint is null && check.HostKeyFingerprint is not null)
        {
            await clouds.PinFingerprintAsync(cloudId, check.HostKeyFingerprint, cancellationToken);
            logger.LogInformation("Pinned host key {Fingerprint} for cloud {CloudId} ({Target})", check.HostKeyFingerprint, cloudId, target.ToString());
        }
        await clouds.RecordHealthAsync(cloudId, check, now, cancellationToken);

        if (!check.Reachable)
        {
            logger.LogWarning("Cloud {CloudId} ({Target}) is not reachable: {Kind} {Error}", cloudId, target.ToString(), check.ErrorKind, check.Error);
        }

        var health = new CloudHealth(cloudId, now, check.Reachable, check.RoundTrip?.TotalMilliseconds,
            check.HostKeyFingerprint ?? target.PinnedFingerprint, check.ErrorKind, check.Error);
        store.Update(health);
        return health;
    }
}

[DisallowConcurrentExecution]
internal sealed class CloudHealthJob(CloudHealthChecker checker) : IJob
{
    public Task Execute(IJobExecutionContext context) => checker.CheckAllAsync(context.CancellationToken);
}
