using System.Collections.Concurrent;
using System.Diagnostics;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Telemetry;

/// <summary>
/// Polls clouds for hardware samples and zones for carbon intensity, writing only to <see cref="TelemetryStore"/>
/// and <see cref="TelemetryWriter"/>. Clouds are probed in parallel (Telemetry:MaxParallelPolls); each cloud has its
/// own due time, and a cloud whose poll is still running is skipped rather than waited for, so one slow or
/// unreachable cloud never delays the others.
/// </summary>
public sealed class TelemetryPoller : IDisposable
{
    private readonly CloudRepository _clouds;
    private readonly IHardwareProbe _probe;
    private readonly ICarbonIntensityProvider _carbon;
    private readonly ICarbonProviderHealth? _carbonHealth;
    private readonly TelemetryStore _store;
    private readonly TelemetryWriter _writer;
    private readonly IOptionsMonitor<TelemetryOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetryPoller> _logger;
    private readonly SemaphoreSlim _parallel;
    private readonly ConcurrentDictionary<int, Task> _inFlight = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _nextDue = new();
    private readonly ConcurrentDictionary<int, CachedTarget> _targets = new();
    private readonly CancellationTokenSource _stopping = new();

    public TelemetryPoller(
        CloudRepository clouds,
        IHardwareProbe probe,
        ICarbonIntensityProvider carbon,
        TelemetryStore store,
        TelemetryWriter writer,
        IOptionsMonitor<TelemetryOptions> options,
        IOptions<CarbonSignalOptions> carbonOptions,
        TimeProvider time,
        ILogger<TelemetryPoller> logger,
        ICarbonProviderHealth? carbonHealth = null)
    {
        _clouds = clouds;
        _probe = probe;
        _carbon = carbon;
        _carbonHealth = carbonHealth;
        _store = store;
        _writer = writer;
        _options = options;
        _time = time;
        _logger = logger;
        _parallel = new SemaphoreSlim(options.CurrentValue.MaxParallelPolls, options.CurrentValue.MaxParallelPolls);
        _store.Signal = carbonOptions.Value.Signal;
    }

    /// <summary>
    /// One hardware cycle: probes every cloud that is due and not still being polled. Waits for those polls up to
    /// <paramref name="waitAtMost"/> (default: the scheduler tick); polls still running then carry on in the background.
    /// </summary>
    public async Task<PollCycleResult> PollHardwareAsync(CancellationToken cancellationToken, TimeSpan? waitAtMost = null, bool ignoreDueTimes = false)
    {
        var options = _options.CurrentValue;
        var started = _time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        var summaries = await _clouds.ListAsync(cancellationToken).ConfigureAwait(false);
        ForgetRemoved(summaries);

        var outcomes = new ConcurrentBag<PollOutcome>();
        var tasks = new List<Task>();
        foreach (var cloud in summaries)
        {
            if (_inFlight.ContainsKey(cloud.Id) || (!ignoreDueTimes && _nextDue.TryGetValue(cloud.Id, out var due) && due > started))
            {
                continue;
            }

            _nextDue[cloud.Id] = started + options.HardwareIntervalFor(cloud.Id);
            var task = PollOneAsync(cloud, outcomes);
            _inFlight[cloud.Id] = task;
            if (task.IsCompleted)
            {
                _inFlight.TryRemove(new KeyValuePair<int, Task>(cloud.Id, task));
            }

            tasks.Add(task);
        }

        var all = Task.WhenAll(tasks);
        try
        {
            await all.WaitAsync(waitAtMost ?? options.HardwareTick, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Slow polls keep running; they are skipped next cycle until they finish.
        }

        var result = new PollCycleResult(started, watch.Elapsed, tasks.Count,
            outcomes.Count(o => o == PollOutcome.Ok), outcomes.Count(o => o == PollOutcome.Unreachable), outcomes.Count(o => o == PollOutcome.Failed),
            tasks.Count(t => !t.IsCompleted));
        _store.HardwareCycleCompleted(result);
        _logger.LogDebug("Hardware cycle: {Due} due, {Ok} ok, {Unreachable} unreachable, {Failed} failed, {Running} still running, {Ms} ms",
            result.Due, result.Succeeded, result.Unreachable, result.Failed, result.StillRunning, (long)result.Elapsed.TotalMilliseconds);
        return result;
    }

    /// <summary>Fetches the current intensity of every zone in use (and stores the chain's provider health).</summary>
    public async Task<CarbonPollResult> PollCarbonAsync(CancellationToken cancellationToken)
    {
        var summaries = await _clouds.ListAsync(cancellationToken).ConfigureAwait(false);
        var zones = summaries.Select(c => c.Zone.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var answered = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.CurrentValue.MaxParallelPolls, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(zones, parallel, async (zone, ct) =>
        {
            if (await RefreshIntensityAsync(zone, ct).ConfigureAwait(false) is not null)
            {
                Interlocked.Increment(ref answered);
            }
        }).ConfigureAwait(false);

        if (_carbonHealth is not null)
        {
            _store.SetProviderHealth(_carbonHealth.Health);
        }

        var result = new CarbonPollResult(_time.GetUtcNow(), zones.Count, answered, zones.Count - answered);
        _store.CarbonPollCompleted(result);
        return result;
    }

    private async Task<CarbonIntensityReading?> RefreshIntensityAsync(string zone, CancellationToken cancellationToken)
    {
        var reading = await _carbon.GetCurrentAsync(zone, _store.Signal, cancellationToken).ConfigureAwait(false);
        if (reading is null)
        {
            _logger.LogWarning("No carbon intensity for zone {Zone} from any provider", zone);
            return null;
        }

        _store.SetIntensity(zone, reading);
        _writer.Enqueue(reading, _time.GetUtcNow());
        return reading;
    }

    private async Task PollOneAsync(CloudSummary cloud, ConcurrentBag<PollOutcome> outcomes)
    {
        // Never finish synchronously: the caller registers this task as in flight after it starts.
        await Task.Yield();
        var token = _stopping.Token;
        var watch = new Stopwatch();
        var entered = false;
        try
        {
            await _parallel.WaitAsync(token).ConfigureAwait(false);
            entered = true;
            watch.Start();
            if (_store.Intensity(cloud.Zone) is null)
            {
                // The first sample of a new zone should not wait up to a carbon interval for its intensity.
                await RefreshIntensityAsync(cloud.Zone, token).ConfigureAwait(false);
            }

            var target = await TargetAsync(cloud, token).ConfigureAwait(false);
            if (target is null)
            {
                return;
            }

            var sample = await _probe.SampleAsync(target, token).ConfigureAwait(false);
            var processed = _store.RecordSample(cloud.Id, cloud.Zone, cloud.Pue, sample, watch.Elapsed);
            _writer.Enqueue(processed);
            outcomes.Add(PollOutcome.Ok);
        }
        catch (RemoteShellException ex)
        {
            // Unreachable is a state of that cloud, not a failure of the job.
            _store.RecordFailure(cloud.Id, cloud.Zone, cloud.Pue, _time.GetUtcNow(), watch.Elapsed, ex.Kind, ex.Message);
            _logger.LogDebug("Cloud {CloudId} not reachable for telemetry: {Kind} {Error}", cloud.Id, ex.Kind, ex.Message);
            outcomes.Add(PollOutcome.Unreachable);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            _store.RecordFailure(cloud.Id, cloud.Zone, cloud.Pue, _time.GetUtcNow(), watch.Elapsed, null, $"{ex.GetType().Name}: {ex.Message}");
            _logger.LogError(ex, "Telemetry poll of cloud {CloudId} failed", cloud.Id);
            outcomes.Add(PollOutcome.Failed);
        }
        finally
        {
            if (entered)
            {
                _parallel.Release();
            }

            _inFlight.TryRemove(cloud.Id, out _);
        }
    }

    /// <summary>Targets are cached per cloud until its row changes, so a cycle costs one query and no decryption.</summary>
    private async Task<SshTarget?> TargetAsync(CloudSummary cloud, CancellationToken cancellationToken)
    {
        if (_targets.TryGetValue(cloud.Id, out var cached) && cached.UpdatedAt == cloud.UpdatedAt && cached.Fingerprint == cloud.HostKeyFingerprint)
        {
            return cached.Target;
        }

        var target = await _clouds.GetTargetAsync(cloud.Id, cancellationToken).ConfigureAwait(false);
        if (target is not null)
        {
            _targets[cloud.Id] = new CachedTarget(target, cloud.UpdatedAt, cloud.HostKeyFingerprint);
        }

        return target;
    }

    private void ForgetRemoved(IReadOnlyList<CloudSummary> summaries)
    {
        var ids = summaries.Select(c => c.Id).ToHashSet();
        foreach (var id in _store.CloudIds.Where(id => !ids.Contains(id)))
        {
            _store.Forget(id);
            _probe.Forget(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _targets.TryRemove(id, out _);
            _nextDue.TryRemove(id, out _);
        }
    }

    public void Dispose()
    {
        // The semaphore is left to the GC: polls still unwinding release it after this point.
        _stopping.Cancel();
    }

    private enum PollOutcome
    {
        Ok,
        Unreachable,
        Failed,
    }

    private sealed record CachedTarget(SshTarget Target, DateTimeOffset UpdatedAt, string? Fingerprint);
}
