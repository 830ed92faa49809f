using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs.Control;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs;

/// <summary>
/// The migration controller's loop: every <see cref="JobsOptions.TickSeconds"/> (or when woken) it starts a driver for
/// each unfinished migration, polls each job no migration owns (<see cref="JobPoller"/>), builds the policy's inputs
/// (<see cref="DecisionInputBuilder"/>), decides with <see cref="MigrationPolicy"/> and carries the decision out
/// (<see cref="DecisionExecutor"/>). Unfinished migrations found at start are recovered by their drivers. It needs no
/// browser: pages only read <see cref="JobStore"/>; all writes go through <see cref="JobRepository"/>.
/// </summary>
internal sealed class MigrationController : BackgroundService
{
    private readonly JobRepository _jobs;
    private readonly CloudRepository _clouds;
    private readonly JobPoller _poller;
    private readonly DecisionInputBuilder _inputs;
    private readonly DecisionExecutor _executor;
    private readonly MigrationDrivers _drivers;
    private readonly JobControllerSignal _signal;
    private readonly JobsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MigrationController> _logger;
    private readonly MigrationPolicy _policy;
    private CancellationToken _stopping;

    public MigrationController(
        JobRepository jobs,
        CloudRepository clouds,
        JobPoller poller,
        DecisionInputBuilder inputs,
        DecisionExecutor executor,
        MigrationDrivers drivers,
        JobControllerSignal signal,
        IOptions<JobsOptions> options,
        TimeProvider time,
        ILogger<MigrationController> logger)
    {
        _jobs = jobs;
        _clouds = clouds;
        _poller = poller;
        _inputs = inputs;
        _executor = executor;
        _drivers = drivers;
        _signal = signal;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _policy = new MigrationPolicy(_options.Policy);
    }

    /// <summary>Migrations whose driver runs in this controller now.</summary>
    public IReadOnlyCollection<Guid> ActiveMigrations => _drivers.Active;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var loaded = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Nothing a cloud or a bad row does may end this loop: a background service that throws stops the host,
            // and every restart would meet the same cloud again.
            try
            {
                if (!loaded)
                {
                    await _jobs.LoadStoreAsync(stoppingToken).ConfigureAwait(false);
                    loaded = true;
                }

                await TickAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Controller tick failed; trying again next tick");
            }

            try
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(_options.TickSeconds), _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await _drivers.DrainAsync().ConfigureAwait(false);
    }

    /// <summary>One controller cycle: start drivers for pending migrations, poll running jobs, decide.</summary>
    internal async Task TickAsync(CancellationToken ct)
    {
        var pending = await _jobs.PendingMigrationsAsync(ct).ConfigureAwait(false);
        var jobs = await _jobs.ListJobsAsync(ct).ConfigureAwait(false);
        foreach (var m in pending)
        {
            _drivers.Start(m.Id, _stopping);
        }

        var targets = new Dictionary<int, SshTarget?>();
        DecisionInputBuilder.Tick? tick = null;
        foreach (var job in jobs.Where(j => JobLifecycle.IsPolled(j.Status)))
        {
            if (pending.Any(m => m.JobId == job.Id))
            {
                continue;
            }

            try
            {
                var target = await TargetAsync(targets, job.CurrentCloudId, ct).ConfigureAwait(false);
                if (target is null)
                {
                    continue;
                }

                var waiting = job.Status == JobStatus.Waiting;
                // A waiting job has nothing running to poll: only the policy can end the wait.
                var decided = waiting ? job : await _poller.PollAsync(job, target, ct).ConfigureAwait(false);
                if (decided is null || (!waiting && (decided.Status != JobStatus.Running || decided.LastStep is null)))
                {
                    continue;
                }

                tick ??= _inputs.NewTick(await _clouds.ListAsync(ct).ConfigureAwait(false), BusyClouds(jobs, pending));
                if (await tick.BuildAsync(decided, waiting, ct).ConfigureAwait(false) is { } request)
                {
                    var decision = _policy.Decide(request);
                    await _executor.ExecuteAsync(decided, target, waiting, decision, tick.CloudOf(decision.TargetCloudId), _stopping, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // One job's cloud, answer or row must not hold up the others: it is that job's error.
                _logger.LogError(e, "Controller tick of job {Job} on cloud {Cloud} failed", job.Id, job.CurrentCloudId);
                await _poller.RecordErrorAsync(job, $"The controller could not handle this job on cloud {job.CurrentCloudId}: {e.Message}", ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Clouds a new move must not land on: each holds a job (a waiting one resumes where it is) or is a move's target.</summary>
    private static HashSet<int> BusyClouds(List<JobEntity> jobs, List<MigrationEntity> pending)
    {
        var busy = jobs.Where(j => JobLifecycle.HoldsCloud(j.Status)).Select(j => j.CurrentCloudId).ToHashSet();
        busy.UnionWith(pending.Select(m => m.TargetCloudId));
        return busy;
    }

    private async Task<SshTarget?> TargetAsync(Dictionary<int, SshTarget?> cache, int cloudId, CancellationToken ct)
    {
        if (!cache.TryGetValue(cloudId, out var t))
        {
            t = await _clouds.GetTargetAsync(cloudId, ct).ConfigureAwait(false);
            cache[cloudId] = t;
            if (t is null)
            {
                _logger.LogWarning("Cloud {CloudId} is no longer registered; its jobs cannot be polled", cloudId);
            }
        }

        return t;
    }
}
