using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using GreenConsole.Agents.Carbon;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs;

/// <summary>
/// The migration controller: a hosted service that, every <see cref="JobsOptions.TickSeconds"/>, polls each running job,
/// evaluates <see cref="MigrationPolicy"/> and drives every pending migration through <see cref="MigrationStateMachine"/>,
/// persisting each step before acting on it. On start it recovers unfinished migrations per
/// <see cref="MigrationStateMachine.Recover"/>. It needs no browser: pages only read <see cref="JobStore"/>.
/// </summary>
public sealed class MigrationController : BackgroundService, IJobRecorder
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private readonly IDbContextFactory<GreenConsoleDbContext> _db;
    private readonly CloudRepository _clouds;
    private readonly ITrainingAgent _agent;
    private readonly ICarbonIntensityProvider _carbon;
    private readonly CloudHealthStore _health;
    private MigrationDriverContext? _driverContext;
    private readonly JobStore _store;
    private readonly JobControllerSignal _signal;
    private readonly MigrationHooks _hooks;
    private readonly JobsOptions _options;
    private readonly CarbonSignal _carbonSignal;
    private readonly TimeProvider _time;
    private readonly ILogger<MigrationController> _logger;
    private readonly MigrationPolicy _policy;
    private readonly MigrationStateMachine _machine;
    private readonly ConcurrentDictionary<Guid, Task> _drivers = new();
    private readonly ConcurrentDictionary<string, (MigrationAction, MigrationReason, string?, DateTimeOffset)> _lastLoggedDecision = new(StringComparer.Ordinal);
    private CancellationToken _stopping;

    public MigrationController(
        IDbContextFactory<GreenConsoleDbContext> db,
        CloudRepository clouds,
        ITrainingAgent agent,
        ICarbonIntensityProvider carbon,
        CloudHealthStore health,
        JobStore store,
        JobControllerSignal signal,
        MigrationHooks hooks,
        IOptions<JobsOptions> options,
        IOptions<CarbonOptions> carbonOptions,
        TimeProvider time,
        ILogger<MigrationController> logger)
    {
        _db = db;
        _clouds = clouds;
        _agent = agent;
        _carbon = carbon;
        _health = health;
        _store = store;
        _signal = signal;
        _hooks = hooks;
        _options = options.Value;
        _carbonSignal = carbonOptions.Value.Signal;
        _time = time;
        _logger = logger;
        _policy = new MigrationPolicy(_options.Policy);
        _machine = new MigrationStateMachine(_options.Timeouts);
    }

    /// <summary>Migrations whose driver runs in this controller now.</summary>
    public IReadOnlyCollection<Guid> ActiveMigrations => [.. _drivers.Keys];

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
                    await LoadStoreAsync(stoppingToken).ConfigureAwait(false);
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

        // Drivers observe the same token; wait so no step writes to the database after the host is gone.
        try
        {
            await Task.WhenAll(_drivers.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: drivers stop where they are; their persisted step is recovered on the next start.
        }
    }

    private async Task LoadStoreAsync(CancellationToken ct)
    {
        await using var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false);
        foreach (var job in await db.Jobs.AsNoTracking().ToListAsync(ct).ConfigureAwait(false))
        {
            _store.Upsert(JobSnapshot.From(job));
        }
    }

    /// <summary>One controller cycle: start drivers for pending migrations, poll running jobs, decide.</summary>
    internal async Task TickAsync(CancellationToken ct)
    {
        List<MigrationEntity> pending;
        List<JobEntity> jobs;
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            var terminal = new[] { nameof(MigrationStep.RunningOnTarget), nameof(MigrationStep.RunningOnSource), nameof(MigrationStep.Failed) };
            pending = await db.Migrations.AsNoTracking().Where(m => !terminal.Contains(m.Step)).ToListAsync(ct).ConfigureAwait(false);
            jobs = await db.Jobs.AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
        }

        foreach (var m in pending)
        {
            StartDriver(m.Id);
        }

        var targets = new Dictionary<int, SshTarget?>();
        var busy = BusyClouds(jobs, pending);
        var inputs = new DecisionInputs();
        IReadOnlyList<CloudSummary>? clouds = null;
        foreach (var job in jobs.Where(j => JobLifecycle.IsPolled(j.Status)))
        {
            if (pending.Any(m => m.JobId == job.Id))
            {
                continue;
            }

            try
            {
                clouds = await TickJobAsync(job, targets, clouds, inputs, busy, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // One job's cloud, answer or row must not hold up the others: it is that job's error.
                _logger.LogError(e, "Controller tick of job {Job} on cloud {Cloud} failed", job.Id, job.CurrentCloudId);
                await RecordJobErrorAsync(job, $"The controller could not handle this job on cloud {job.CurrentCloudId}: {e.Message}", ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<CloudSummary>?> TickJobAsync(
        JobEntity job, Dictionary<int, SshTarget?> targets, IReadOnlyList<CloudSummary>? clouds, DecisionInputs inputs, HashSet<int> busy, CancellationToken ct)
    {
        var target = await TargetAsync(targets, job.CurrentCloudId, ct).ConfigureAwait(false);
        if (target is null)
        {
            return clouds;
        }

        if (job.Status == JobStatus.Waiting)
        {
            // Nothing runs to poll: only the policy can end the wait.
            clouds ??= await _clouds.ListAsync(ct).ConfigureAwait(false);
            await DecideAsync(job, target, waiting: true, clouds, inputs, busy, ct).ConfigureAwait(false);
            return clouds;
        }

        var polled = await PollJobAsync(job, target, ct).ConfigureAwait(false);
        if (polled is null || polled.Status != JobStatus.Running || polled.LastStep is null)
        {
            return clouds;
        }

        clouds ??= await _clouds.ListAsync(ct).ConfigureAwait(false);
        await DecideAsync(polled, target, waiting: false, clouds, inputs, busy, ct).ConfigureAwait(false);
        return clouds;
    }

    /// <summary>Shows a problem on the job (not its status: the cloud may answer properly next tick); written only when it changes.</summary>
    private async Task RecordJobErrorAsync(JobEntity job, string error, CancellationToken ct)
    {
        if (job.LastError == error)
        {
            return;
        }

        try
        {
            await using var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false);
            await db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(u => u.SetProperty(j => j.LastError, error), ct).ConfigureAwait(false);
            job.LastError = error;
            _store.Upsert(JobSnapshot.From(job));
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            _logger.LogError(e, "Could not record the error of job {Job}", job.Id);
        }
    }

    private static HashSet<int> BusyClouds(List<JobEntity> jobs, List<MigrationEntity> pending)
    {
        var busy = new HashSet<int>();
        // A waiting job will resume where it is, so its cloud stays taken.
        foreach (var j in jobs.Where(j => JobLifecycle.HoldsCloud(j.Status)))
        {
            busy.Add(j.CurrentCloudId);
        }

        foreach (var m in pending)
        {
            busy.Add(m.TargetCloudId);
        }

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

    /// <summary>Reads new progress and the status of a job that no migration owns, and applies them. Null when unreachable.</summary>
    private async Task<JobEntity?> PollJobAsync(JobEntity job, SshTarget target, CancellationToken ct)
    {
        TrainingPoll poll;
        try
        {
            poll = await _agent.PollAsync(target, job.Id, job.ProgressOffset, ct).ConfigureAwait(false);
        }
        catch (RemoteShellException e)
        {
            // Not a job failure: the host may come back; the job keeps its status.
            _logger.LogWarning("Cannot reach cloud {Cloud} to poll job {Job}: {Kind} {Error}", job.CurrentCloudId, job.Id, e.Kind, e.Message);
            return null;
        }
        catch (TrainingJobException e)
        {
            _logger.LogWarning("Status of job {Job} on cloud {Cloud} failed: {Error}", job.Id, job.CurrentCloudId, e.Message);
            await RecordJobErrorAsync(job, e.Message, ct).ConfigureAwait(false);
            return null;
        }

        var now = _time.GetUtcNow();
        ApplyProgress(job, poll, job.CurrentCloudId);
        var status = job.Status;
        var s = poll.Status;
        JobTransition? change = null;
        switch (poll.State)
        {
            case RemoteJobState.Done:
                change = JobLifecycle.FinishedOnCloud(job.Id, status, now);
                job.FinalWeightsSha256 = s.FinalWeightsSha256;
                break;
            case RemoteJobState.Stopped:
                job.LastCheckpointBytes = s.StoppedCheckpointBytes > 0 ? s.StoppedCheckpointBytes : job.LastCheckpointBytes;
                change = JobLifecycle.StoppedOnCloud(job.Id, status, now);
                break;
            case RemoteJobState.Exited:
            case RemoteJobState.NotStarted when !s.LauncherAlive:
                change = JobLifecycle.FailedOnCloud(job.Id, status, now);
                job.LastError = $"The training process on cloud {job.CurrentCloudId} is gone without a stopped/done marker (crashed or killed); see train.log there.";
                break;
        }

        if (change is not null)
        {
            Apply(job, change);
        }

        // A manual operation or a migration request may have changed the row since this tick read it: then this poll's write is dropped.
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            var saved = await db.Jobs.Where(j => j.Id == job.Id && j.Status == status).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, job.Status)
                .SetProperty(j => j.ProgressOffset, job.ProgressOffset)
                .SetProperty(j => j.LastStep, job.LastStep)
                .SetProperty(j => j.LastEpoch, job.LastEpoch)
                .SetProperty(j => j.LastLoss, job.LastLoss)
                .SetProperty(j => j.LastProgressAt, job.LastProgressAt)
                .SetProperty(j => j.TotalSteps, job.TotalSteps)
                .SetProperty(j => j.TrainingSeconds, job.TrainingSeconds)
                .SetProperty(j => j.LastCheckpointBytes, job.LastCheckpointBytes)
                .SetProperty(j => j.FinalWeightsSha256, job.FinalWeightsSha256)
                .SetProperty(j => j.FinishedAt, job.FinishedAt)
                .SetProperty(j => j.LastError, job.LastError), ct).ConfigureAwait(false);
            if (saved == 0)
            {
                return null;
            }
        }

        _store.Upsert(JobSnapshot.From(job));
        if (status != job.Status)
        {
            await AddStatusEventAsync(job.Id, status, job.Status, ct).ConfigureAwait(false);
        }

        return job;
    }

    /// <summary>Updates the job's progress fields and the live series from newly read lines.</summary>
    public void ApplyProgress(JobEntity job, TrainingPoll poll, int cloudId)
    {
        job.ProgressOffset = poll.NextOffset;
        job.TotalSteps = poll.Status.TotalSteps ?? job.TotalSteps;
        var samples = new List<JobProgressSample>();
        foreach (var line in poll.Lines)
        {
            if (!line.IsStep)
            {
                if (line.Event is "start" or "resume")
                {
                    // A new incarnation: the gap since the previous step line is not training time.
                    job.LastProgressAt = null;
                }

                continue;
            }

            if (job.LastProgressAt is { } previous && line.Timestamp > previous)
            {
                job.TrainingSeconds += (line.Timestamp - previous).TotalSeconds;
            }

            job.LastProgressAt = line.Timestamp;
            job.LastStep = line.Step;
            job.LastEpoch = line.Epoch;
            job.LastLoss = line.Loss;
            samples.Add(new JobProgressSample(job.Id, line.Step, line.Epoch, line.Loss, line.Timestamp, cloudId));
        }

        _store.AddProgress(samples);
    }

    /// <summary>What every decision of one tick shares: each zone's reading and forecast, the measured bandwidths.</summary>
    private sealed class DecisionInputs
    {
        public Dictionary<string, double?> Intensities { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, IReadOnlyList<IntensityPoint>?> Forecasts { get; } = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<CloudPair, double>? Bandwidth { get; set; }
    }

    /// <summary>
    /// Evaluates the policy for a running job, or for one <paramref name="waiting"/> out a dirty grid, on the cloud
    /// <paramref name="where"/> it is on, and carries out what it says when Migration:AutoMigrate allows.
    /// </summary>
    private async Task DecideAsync(JobEntity job, SshTarget where, bool waiting, IReadOnlyList<CloudSummary> clouds, DecisionInputs inputs, HashSet<int> busy,
        CancellationToken ct)
    {
        inputs.Bandwidth ??= await MeasuredBandwidthAsync(ct).ConfigureAwait(false);
        var states = new List<CloudState>();
        foreach (var c in clouds)
        {
            if (!inputs.Intensities.TryGetValue(c.Zone, out var value))
            {
                value = await IntensityAsync(c.Zone, ct).ConfigureAwait(false);
                inputs.Intensities[c.Zone] = value;
            }

            if (!inputs.Forecasts.TryGetValue(c.Zone, out var forecast))
            {
                forecast = _options.UseForecasts ? await ForecastAsync(c.Zone, ct).ConfigureAwait(false) : null;
                inputs.Forecasts[c.Zone] = forecast;
            }

            states.Add(new CloudState
            {
                CloudId = Id(c.Id),
                Zone = c.Zone,
                IntensityGPerKwh = value,
                Forecast = forecast,
                ThresholdGPerKwh = c.ThresholdGPerKwh ?? _options.DefaultThresholdGPerKwh,
                Pue = c.Pue,
                Reachable = _health.Get(c.Id)?.Reachable ?? true,
                Busy = c.Id != job.CurrentCloudId && busy.Contains(c.Id),
            });
        }

        if (states.All(s => s.CloudId != Id(job.CurrentCloudId)))
        {
            return;
        }

        var now = _time.GetUtcNow();
        var request = new MigrationRequest
        {
            Now = now,
            Job = new MigrationJob
            {
                JobId = job.Id,
                CurrentCloudId = Id(job.CurrentCloudId),
                ArrivedOnCurrentAt = job.ArrivedOnCurrentAt,
                ExpectedRemaining = ExpectedRemaining(job),
                PowerKw = _options.DefaultPowerWatts / 1000.0,
                CheckpointBytes = job.LastCheckpointBytes ?? _options.DefaultCheckpointBytes,
                RestartTime = TimeSpan.FromSeconds(_options.RestartSeconds),
                IsPaused = waiting,
            },
            Clouds = states,
            MeasuredBandwidth = inputs.Bandwidth,
        };
        var decision = _policy.Decide(request);
        _logger.LogInformation("Decision for job {Job} on cloud {Cloud}: {Action} ({Reason}) {Explanation}",
            job.Id, job.CurrentCloudId, decision.Action, decision.Reason, decision.Explanation);
        _store.SetDecision(new JobDecisionView(job.Id, now, decision.Action, decision.Reason, decision.TargetCloudId, decision.Explanation, decision));

        var key = (decision.Action, decision.Reason, decision.TargetCloudId);
        var log = !_lastLoggedDecision.TryGetValue(job.Id, out var last) || (last.Item1, last.Item2, last.Item3) != key
            || now - last.Item4 >= TimeSpan.FromMinutes(_options.DecisionLogMinutes);
        if (log)
        {
            _lastLoggedDecision[job.Id] = (decision.Action, decision.Reason, decision.TargetCloudId, now);
            await AddEventAsync(job.Id, null, "Decision", null, null, null, decision.Explanation, DecisionJson(decision), ct).ConfigureAwait(false);
        }

        if (!_options.AutoMigrate)
        {
            return;
        }

        switch (decision.Action)
        {
            case MigrationAction.Migrate when int.TryParse(decision.TargetCloudId, NumberStyles.None, CultureInfo.InvariantCulture, out var targetId):
                await RequestMigrationAsync(job.Id, targetId, "Policy", ct).ConfigureAwait(false);
                break;
            case MigrationAction.Pause when !waiting:
                await ShiftAsync(job, where, decision, ct).ConfigureAwait(false);
                break;
            case MigrationAction.Resume when waiting:
                await ResumeWaitingAsync(job, where, decision, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Time shifting: asks the job to checkpoint and stop where it is; the next polls turn it Waiting.</summary>
    private async Task ShiftAsync(JobEntity job, SshTarget target, MigrationDecision decision, CancellationToken ct)
    {
        if (!await SetStatusIfAsync(JobLifecycle.Shift(job.Id, job.Status, _time.GetUtcNow()), ct).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await _agent.RequestStopAsync(target, job.Id, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            // The stop never reached the job: it keeps running, and the next decision tries again.
            await SetStatusIfAsync(JobLifecycle.ShiftFailed(job.Id, _time.GetUtcNow()), ct).ConfigureAwait(false);
            _logger.LogWarning("Could not ask job {Job} to wait on cloud {Cloud}: {Error}", job.Id, job.CurrentCloudId, e.Message);
            return;
        }

        await AddEventAsync(job.Id, null, "TimeShift", null, null, null,
            $"Checkpointing and waiting on cloud {job.CurrentCloudId}: {decision.Explanation}", null, ct).ConfigureAwait(false);
        _signal.Wake();
    }

    /// <summary>Ends a policy wait: the job resumes from its checkpoint on the cloud it waited on.</summary>
    private async Task ResumeWaitingAsync(JobEntity job, SshTarget target, MigrationDecision decision, CancellationToken ct)
    {
        TrainingLaunchResult launch;
        try
        {
            launch = await _agent.StartAsync(target, MigrationDriver.Spec(job), resume: true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            // Still waiting: an unreachable cloud is not a job failure, and the next tick tries again.
            _logger.LogWarning("Could not resume waiting job {Job} on cloud {Cloud}: {Error}", job.Id, job.CurrentCloudId, e.Message);
            return;
        }

        int resumed;
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            var change = JobLifecycle.Resume(job.Id, JobStatus.Waiting, JobChangeCause.Policy, _time.GetUtcNow());
            resumed = await db.Jobs.Where(j => j.Id == job.Id && j.Status == change.From).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, change.To)
                .SetProperty(j => j.ProgressOffset, launch.ProgressOffset)
                .SetProperty(j => j.LastProgressAt, (DateTimeOffset?)null), ct).ConfigureAwait(false);
        }

        if (resumed == 1)
        {
            // The job trains again from here: the carbon report charges run time from these status events.
            await AddStatusEventAsync(job.Id, JobStatus.Waiting, JobStatus.Running, ct).ConfigureAwait(false);
        }

        await AddEventAsync(job.Id, null, "TimeShift", null, null, null,
            $"Resumed on cloud {job.CurrentCloudId}: {decision.Explanation}", null, ct).ConfigureAwait(false);
        await RefreshStoreAsync(job.Id, ct).ConfigureAwait(false);
    }

    private async Task<bool> SetStatusIfAsync(JobTransition change, CancellationToken ct)
    {
        bool changed;
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            changed = await db.Jobs.Where(j => j.Id == change.JobId && j.Status == change.From)
                .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, change.To), ct).ConfigureAwait(false) == 1;
        }

        if (changed)
        {
            await RefreshStoreAsync(change.JobId, ct).ConfigureAwait(false);
        }

        return changed;
    }

    private TimeSpan ExpectedRemaining(JobEntity job)
    {
        if (job.TotalSteps is { } total && job.LastStep is { } done && done > 1 && job.TrainingSeconds > 0)
        {
            var perStep = job.TrainingSeconds / (done - 1);
            return TimeSpan.FromSeconds(Math.Max(0, total - done) * perStep);
        }

        return TimeSpan.FromHours(1);
    }

    private async Task<double?> IntensityAsync(string zone, CancellationToken ct)
    {
        try
        {
            return (await _carbon.GetCurrentAsync(zone, _carbonSignal, ct).ConfigureAwait(false))?.GramsPerKwh;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or TimeoutException)
        {
            _logger.LogWarning("No carbon intensity for zone {Zone}: {Error}", zone, e.Message);
            return null;
        }
    }

    private async Task<IReadOnlyList<IntensityPoint>?> ForecastAsync(string zone, CancellationToken ct)
    {
        try
        {
            var readings = await _carbon.GetForecastAsync(zone, _options.Policy.PlanningHorizon, _carbonSignal, ct).ConfigureAwait(false);
            return readings.Count == 0 ? null : readings.OrderBy(r => r.At).Select(r => new IntensityPoint(r.At, r.GramsPerKwh)).ToList();
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or TimeoutException)
        {
            // Without a forecast the policy assumes the current reading persists; that is a weaker plan, not a failure.
            _logger.LogWarning("No carbon forecast for zone {Zone}: {Error}", zone, e.Message);
            return null;
        }
    }

    /// <summary>The throughput of the latest completed copy per directed pair of clouds (what the policy prices a move's transfer with).</summary>
    private async Task<IReadOnlyDictionary<CloudPair, double>> MeasuredBandwidthAsync(CancellationToken ct)
    {
        await using var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var copies = await db.Migrations.AsNoTracking()
            .Where(m => m.TransferBytes > 0 && m.TransferSeconds > 0)
            .Select(m => new { m.SourceCloudId, m.TargetCloudId, m.TransferBytes, m.TransferSeconds, m.RequestedAt })
            .ToListAsync(ct).ConfigureAwait(false);
        return copies
            .GroupBy(m => new CloudPair(Id(m.SourceCloudId), Id(m.TargetCloudId)))
            .ToDictionary(g => g.Key, g => g.MaxBy(m => m.RequestedAt) is { } latest ? latest.TransferBytes!.Value / latest.TransferSeconds!.Value : 0);
    }

    internal static string DecisionJson(MigrationDecision d) => JsonSerializer.Serialize(new
    {
        d.Action,
        d.Reason,
        d.TargetCloudId,
        d.Explanation,
        d.Inputs.Now,
        Job = d.Inputs.Job,
        Clouds = d.Inputs.Clouds,
        MeasuredBandwidth = d.Inputs.MeasuredBandwidth?.Select(kv => new { Pair = kv.Key.ToString(), BytesPerSecond = kv.Value }),
        WindowSeconds = d.Window.TotalSeconds,
        d.ExpectedStayGrams,
        d.Candidates,
    }, Json);

    /// <summary>Persists a new migration in Requested and starts its driver. Refused when the job is not running or already moving.</summary>
    internal async Task<Guid> RequestMigrationAsync(string jobId, int targetCloudId, string trigger, CancellationToken ct)
    {
        var id = await PersistMigrationRequestAsync(_db, _time, jobId, targetCloudId, trigger, ct).ConfigureAwait(false);
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            var job = await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct).ConfigureAwait(false);
            _store.Upsert(JobSnapshot.From(job, nameof(MigrationStep.Requested)));
        }

        StartDriver(id);
        return id;
    }

    /// <summary>Shared with <see cref="JobService"/> (also used by the CLI, where no controller runs in-process).</summary>
    internal static async Task<Guid> PersistMigrationRequestAsync(
        IDbContextFactory<GreenConsoleDbContext> factory, TimeProvider time, string jobId, int targetCloudId, string trigger, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct).ConfigureAwait(false);
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No job '{jobId}'.");
        var now = time.GetUtcNow();
        var change = JobLifecycle.RequestMigration(jobId, job.Status, trigger == "Manual" ? JobChangeCause.Manual : JobChangeCause.Policy, now);

        if (job.CurrentCloudId == targetCloudId)
        {
            throw new InvalidOperationException($"Job '{jobId}' already runs on cloud {targetCloudId}.");
        }

        if (!await db.Clouds.AnyAsync(c => c.Id == targetCloudId, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"No cloud {targetCloudId} is registered.");
        }

        var state = MigrationStateMachine.Start(Guid.NewGuid(), jobId, Id(job.CurrentCloudId), Id(targetCloudId), now);
        db.Migrations.Add(new MigrationEntity
        {
            Id = state.MigrationId,
            JobId = jobId,
            SourceCloudId = job.CurrentCloudId,
            TargetCloudId = targetCloudId,
            Trigger = trigger,
            Step = state.Step.ToString(),
            RequestedAt = now,
            StepEnteredAt = now,
        });
        Apply(job, change);
        db.JobEvents.Add(new JobEventEntity
        {
            JobId = jobId,
            MigrationId = state.MigrationId,
            Kind = "Transition",
            At = now,
            ToStep = nameof(MigrationStep.Requested),
            Message = $"{trigger} migration of job {jobId} requested: cloud {job.CurrentCloudId} -> {targetCloudId}",
        });
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return state.MigrationId;
    }

    private void StartDriver(Guid migrationId)
    {
        if (_drivers.ContainsKey(migrationId) || _stopping.IsCancellationRequested)
        {
            return;
        }

        var token = _stopping;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(async () =>
        {
            await started.Task.ConfigureAwait(false);
            try
            {
                await new MigrationDriver(DriverContext, migrationId).RunAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                _logger.LogInformation("Migration {Migration} interrupted by shutdown; it is recovered on the next start", migrationId);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                // Whatever a cloud made a step throw, the driver is retried from its persisted step; the host stays up.
                _logger.LogError(e, "Migration {Migration} driver failed; it is retried next tick", migrationId);
            }
            finally
            {
                _drivers.TryRemove(migrationId, out _);
            }
        }, CancellationToken.None);
        if (_drivers.TryAdd(migrationId, task))
        {
            started.SetResult();
        }
        else
        {
            started.SetCanceled(CancellationToken.None);
        }
    }

    internal static string Id(int cloudId) => CloudKeys.Of(cloudId);

    internal static void Apply(JobEntity job, JobTransition change) => JobStatusEvents.Apply(job, change);

    public async Task SaveJobAsync(JobEntity job, CancellationToken ct, string? activeStep = null)
    {
        await using var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false);
        db.Jobs.Update(job);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        _store.Upsert(JobSnapshot.From(job, activeStep));
    }

    private async Task RefreshStoreAsync(string jobId, CancellationToken ct)
    {
        await using var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false);
        if (await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct).ConfigureAwait(false) is { } job)
        {
            _store.Upsert(JobSnapshot.From(job));
        }
    }

    private Task AddStatusEventAsync(string jobId, JobStatus from, JobStatus to, CancellationToken ct) =>
        AddEventAsync(jobId, null, JobStatusEvents.Kind, from.ToString(), to.ToString(), null, JobStatusEvents.Message(jobId, from, to), null, ct);

    public async Task AddEventAsync(string jobId, Guid? migrationId, string kind, string? from, string? to, double? durationMs, string message, string? json, CancellationToken ct)
    {
        var at = _time.GetUtcNow();
        await using (var db = await _db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            db.JobEvents.Add(new JobEventEntity
            {
                JobId = jobId, MigrationId = migrationId, Kind = kind, At = at, FromStep = from, ToStep = to, DurationMs = durationMs, Message = message, DataJson = json,
            });
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        _store.AddEvent(new JobEventView(jobId, migrationId, kind, at, from, to, durationMs, message));
    }

    // Members the driver needs.
    /// <summary>What a migration driver works with: ports and stores, never this controller.</summary>
    private MigrationDriverContext DriverContext => _driverContext ??= new MigrationDriverContext(
        _db, _clouds, _agent, _store, _hooks, _options, _time, _logger, _machine, this);
}
