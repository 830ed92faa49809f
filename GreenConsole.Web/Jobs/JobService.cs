using System.Globalization;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Jobs.Definitions;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs;

/// <summary>What to start: where, and the reference trainer's settings.</summary>
public sealed record JobStartRequest(int CloudId, string? Name = null, int Epochs = 6, int Seed = 1234, int StepDelayMs = 0, long CheckpointPadBytes = 0);

/// <summary>
/// A job's carbon: as run vs. had it stayed on its first cloud, with each move's overhead. <see cref="PowerWatts"/> is
/// the mean power of the run; <see cref="PowerProvenance"/> says how much of it came from the clouds' hardware samples
/// and how much from <see cref="JobsOptions.DefaultPowerWatts"/>.
/// </summary>
/// <param name="ChargedSeconds">The run time charged: the job's life less its pauses, policy waits and migration downtime.</param>
public sealed record JobCarbonSummary(string JobId, double PowerWatts, string PowerProvenance, JobCarbonReport Report, double ChargedSeconds);

/// <summary>
/// Manual job operations for the UI and the CLI: start, list, migrate now, pause, resume, cancel, carbon report.
/// Migrations are persisted as requests; the controller (in the web app) drives them.
/// </summary>
public sealed class JobService(
    JobRepository jobs,
    CloudRepository clouds,
    ITrainingAgent agent,
    ICarbonIntensityProvider carbon,
    IOptions<CarbonSignalOptions> carbonOptions,
    IOptions<JobsOptions> options,
    JobControllerSignal signal,
    TimeProvider time,
    ILogger<JobService> logger,
    JobSpecs specs,
    Telemetry.TelemetryQueries? telemetry = null)
{
    public async Task<JobSnapshot> StartAsync(JobStartRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limits = options.Value;
        if (request.Epochs < 1 || request.Epochs > limits.MaxEpochs)
        {
            throw new ArgumentException($"Epochs must be 1 to {limits.MaxEpochs} (was {request.Epochs}; setting Migration:MaxEpochs).", nameof(request));
        }

        if (request.StepDelayMs < 0 || request.StepDelayMs > limits.MaxStepDelayMs)
        {
            throw new ArgumentException($"StepDelayMs must be 0 to {limits.MaxStepDelayMs} (was {request.StepDelayMs}; setting Migration:MaxStepDelayMs).", nameof(request));
        }

        if (request.CheckpointPadBytes < 0 || request.CheckpointPadBytes > limits.MaxCheckpointPadBytes)
        {
            throw new ArgumentException(
                $"CheckpointPadBytes must be 0 to {limits.MaxCheckpointPadBytes} (was {request.CheckpointPadBytes}; setting Migration:MaxCheckpointPadBytes).", nameof(request));
        }

        if (request.Name is { } name && (name.Length > limits.MaxNameLength || name.Any(char.IsControl)))
        {
            throw new ArgumentException($"Name must be at most {limits.MaxNameLength} characters without control characters.", nameof(request));
        }

        var target = await clouds.GetTargetAsync(request.CloudId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No cloud {request.CloudId} is registered.");
        var now = time.GetUtcNow();
        var id = "job-" + Guid.NewGuid().ToString("N")[..10];
        var job = new JobEntity
        {
            Id = id,
            Name = string.IsNullOrWhiteSpace(request.Name) ? id : request.Name.Trim(),
            Seed = request.Seed,
            Epochs = request.Epochs,
            StepDelayMs = request.StepDelayMs,
            CheckpointPadBytes = request.CheckpointPadBytes,
            TrainerArguments = "",
            FirstCloudId = request.CloudId,
            CurrentCloudId = request.CloudId,
            Status = JobStatus.Running,
            CreatedAt = now,
            ArrivedOnCurrentAt = now,
        };
        var spec = specs.Of(job);
        job.TrainerArguments = spec.TrainerArguments;
        var launch = await agent.StartAsync(target, spec, resume: false, ct).ConfigureAwait(false);
        job.StartedAt = launch.LaunchedAt;
        job.ProgressOffset = launch.ProgressOffset;
        await jobs.AddAsync(job, $"Started on cloud {request.CloudId}: {spec.TrainerArguments}", ct).ConfigureAwait(false);
        logger.LogInformation("Job {Job} started on cloud {Cloud}", id, request.CloudId);
        signal.Wake();
        return JobSnapshot.From(job);
    }

    public Task<IReadOnlyList<JobSnapshot>> ListAsync(CancellationToken ct) => jobs.SnapshotsAsync(ct);

    /// <summary>The job's stdout or stderr on its current cloud from <paramref name="offset"/> (a researcher's job; the reference trainer writes train.log).</summary>
    public async Task<(JobOutputChunk Chunk, JobStatus Status)> ReadOutputAsync(string jobId, JobOutputStream stream, long offset, int maxBytes, CancellationToken ct)
    {
        var job = await jobs.LoadAsync(jobId, ct).ConfigureAwait(false);
        if (job.Mode is null)
        {
            throw new InvalidOperationException($"Job '{jobId}' runs the reference trainer, which keeps no separate stdout/stderr (see train.log on its cloud).");
        }

        var target = await clouds.GetTargetAsync(job.CurrentCloudId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Cloud {job.CurrentCloudId} of job '{jobId}' is no longer registered.");
        return (await agent.ReadOutputAsync(target, jobId, stream, offset, maxBytes, ct).ConfigureAwait(false), job.Status);
    }

    public Task<IReadOnlyList<MigrationEntity>> MigrationsAsync(string jobId, CancellationToken ct) => jobs.MigrationsOfAsync(jobId, ct);

    public Task<IReadOnlyList<JobEventEntity>> EventsAsync(string jobId, CancellationToken ct) => jobs.EventsOfAsync(jobId, ct);

    /// <summary>Requests a migration to <paramref name="targetCloudId"/> now; the controller drives it (at once in the web app).</summary>
    public async Task<Guid> MigrateAsync(string jobId, int targetCloudId, CancellationToken ct)
    {
        var id = await jobs.RequestMigrationAsync(jobId, targetCloudId, "Manual", ct).ConfigureAwait(false);
        signal.Wake();
        return id;
    }

    /// <summary>
    /// Checkpoints and stops the job where it is (the controller marks it Paused once it stopped); a command-mode job
    /// has no checkpoint, so its process group is held in place instead and it is Paused at once.
    /// </summary>
    public async Task PauseAsync(string jobId, CancellationToken ct)
    {
        var job = await jobs.LoadAsync(jobId, ct).ConfigureAwait(false);
        if (JobSpecs.ModeOf(job) is { } mode && JobModes.PausesInPlace(mode) && job.Status == JobStatus.Running)
        {
            await HoldAsync(job, hold: true, JobLifecycle.Hold(jobId, job.Status, JobChangeCause.Manual, time.GetUtcNow()), ct).ConfigureAwait(false);
            return;
        }

        await StopAsync(jobId, JobLifecycle.Pause, ct).ConfigureAwait(false);
    }

    /// <summary>Holds or releases a command-mode job's process group, then records the change (released again when the record loses a race).</summary>
    private async Task HoldAsync(JobEntity job, bool hold, JobTransition change, CancellationToken ct)
    {
        var target = await clouds.GetTargetAsync(job.CurrentCloudId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Cloud {job.CurrentCloudId} of job '{job.Id}' is no longer registered.");
        if (!await agent.HoldAsync(target, job.Id, hold, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Job '{job.Id}' on cloud {job.CurrentCloudId} did not confirm the {(hold ? "hold" : "release")} in time; its status is unchanged.");
        }

        try
        {
            await ApplyAsync(change, null, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            await agent.HoldAsync(target, job.Id, !hold, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public Task CancelAsync(string jobId, CancellationToken ct) => StopAsync(jobId, JobLifecycle.Cancel, ct);

    /// <summary>
    /// A job that trains is asked to stop at its next mini-batch boundary; a paused or waiting one changes at once (a
    /// person pausing a job the policy holds takes it over: it stays paused until they resume it).
    /// </summary>
    private async Task StopAsync(string jobId, Func<string, JobStatus, DateTimeOffset, JobTransition> rule, CancellationToken ct)
    {
        var job = await jobs.LoadAsync(jobId, ct).ConfigureAwait(false);
        var change = rule(jobId, job.Status, time.GetUtcNow());
        SshTarget? target = null;
        if (JobLifecycle.StopNeedsTheCloud(job.Status))
        {
            target = await clouds.GetTargetAsync(job.CurrentCloudId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Cloud {job.CurrentCloudId} of job '{jobId}' is no longer registered.");
        }

        // The status changes first, so a poll that sees the process stop finds the job Pausing (or Cancelling), not Running.
        await ApplyAsync(change, null, ct).ConfigureAwait(false);
        if (target is null)
        {
            return;
        }

        try
        {
            await agent.RequestStopAsync(target, jobId, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            await jobs.TryApplyAsync(JobLifecycle.StopNotDelivered(change, time.GetUtcNow()), null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Resumes a paused job (or one waiting out a dirty grid) on its current cloud from its latest checkpoint.</summary>
    public async Task ResumeAsync(string jobId, CancellationToken ct)
    {
        var job = await jobs.LoadAsync(jobId, ct).ConfigureAwait(false);
        var change = JobLifecycle.Resume(jobId, job.Status, JobChangeCause.Manual, time.GetUtcNow());
        if (JobSpecs.ModeOf(job) is { } mode && JobModes.PausesInPlace(mode))
        {
            // Held in place: the same process continues; nothing is relaunched.
            await HoldAsync(job, hold: false, change, ct).ConfigureAwait(false);
            return;
        }

        var target = await clouds.GetTargetAsync(job.CurrentCloudId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Cloud {job.CurrentCloudId} of job '{jobId}' is no longer registered.");
        var launch = await agent.StartAsync(target, specs.Of(job), resume: true, ct).ConfigureAwait(false);
        await ApplyAsync(change, u => u
            .SetProperty(j => j.ProgressOffset, launch.ProgressOffset)
            .SetProperty(j => j.LastProgressAt, (DateTimeOffset?)null), ct).ConfigureAwait(false);
    }

    /// <summary>Applies the change unless the job moved on since it was read (a poll or another person got there first).</summary>
    private async Task ApplyAsync(JobTransition change, Action<UpdateSettersBuilder<JobEntity>>? also, CancellationToken ct)
    {
        if (!await jobs.TryApplyAsync(change, also, ct).ConfigureAwait(false))
        {
            var now = await jobs.LoadAsync(change.JobId, ct).ConfigureAwait(false);
            throw new InvalidOperationException($"Job '{change.JobId}' changed to {now.Status} meanwhile; nothing was changed. Try again if it still applies.");
        }

        signal.Wake();
    }

    /// <summary>
    /// Energy and CO2 as run vs. "had it stayed on its first cloud", with each migration's downtime overhead (Core
    /// <see cref="MigrationAccounting"/>). Run segments are split at each migration's stop request and resume.
    /// </summary>
    public async Task<JobCarbonSummary> CarbonReportAsync(string jobId, CancellationToken ct)
    {
        var job = await jobs.LoadAsync(jobId, ct).ConfigureAwait(false);
        var migrations = (await MigrationsAsync(jobId, ct).ConfigureAwait(false)).Where(m => m.CompletedAt is not null).ToList();
        var summaries = (await clouds.ListAsync(ct).ConfigureAwait(false)).ToDictionary(c => c.Id);
        var o = options.Value;
        var powerKw = o.DefaultPowerWatts / 1000.0;
        var idleKw = powerKw * o.Policy.IdlePowerFraction;
        var start = job.StartedAt ?? job.CreatedAt;
        var end = job.FinishedAt ?? time.GetUtcNow();
        var signalKind = carbonOptions.Value.Signal;
        var history = new Dictionary<int, IReadOnlyList<IntensityPoint>>();

        async Task<IReadOnlyList<IntensityPoint>> HistoryAsync(int cloudId)
        {
            if (!history.TryGetValue(cloudId, out var points))
            {
                var zone = summaries.TryGetValue(cloudId, out var s) ? s.Zone : null;
                var readings = zone is null ? [] : await carbon.GetHistoryAsync(zone, start - TimeSpan.FromHours(1), end + TimeSpan.FromSeconds(1), signalKind, ct).ConfigureAwait(false);
                points = readings.Select(r => new IntensityPoint(r.At, r.GramsPerKwh)).OrderBy(p => p.HourStart).ToList();
                if (points.Count == 0 && zone is not null && await carbon.GetCurrentAsync(zone, signalKind, ct).ConfigureAwait(false) is { } now)
                {
                    points = [new IntensityPoint(now.At, now.GramsPerKwh)];
                }

                history[cloudId] = points;
            }

            return points;
        }

        double Pue(int cloudId) => summaries.TryGetValue(cloudId, out var s) ? s.Pue : 1.0;

        // Pauses and policy waits are not run time: only the stretches in which the job trained are charged.
        var training = JobActivity.TrainingStretches(start, end, await ActivityChangesAsync(jobId, migrations, ct).ConfigureAwait(false));
        var segments = new List<RunSegment>();
        var overheads = new List<MigrationOverhead>();
        double coveredSeconds = 0;
        var cloud = job.FirstCloudId;
        var from = start;
        foreach (var m in migrations)
        {
            var stop = m.StopRequestedAt ?? m.RequestedAt;
            var resumed = m.CompletedAt!.Value;
            await AddSegmentAsync(cloud, from, stop).ConfigureAwait(false);
            var src = await HistoryAsync(m.SourceCloudId).ConfigureAwait(false);
            var dst = await HistoryAsync(m.TargetCloudId).ConfigureAwait(false);
            overheads.Add(MigrationOverhead.Compute(
                CloudKeys.Of(m.SourceCloudId), CloudKeys.Of(m.TargetCloudId), stop, resumed - stop,
                idleKw, Pue(m.SourceCloudId), src.Count == 0 ? 0 : MigrationAccounting.IntensityAt(src, stop),
                idleKw, Pue(m.TargetCloudId), dst.Count == 0 ? 0 : MigrationAccounting.IntensityAt(dst, stop)));
            cloud = m.Step == nameof(MigrationStep.RunningOnTarget) ? m.TargetCloudId : m.SourceCloudId;
            from = resumed;
        }

        await AddSegmentAsync(cloud, from, end).ConfigureAwait(false);
        var report = MigrationAccounting.Compute(
            CloudKeys.Of(job.FirstCloudId), Pue(job.FirstCloudId), await HistoryAsync(job.FirstCloudId).ConfigureAwait(false), segments, overheads);
        var runSeconds = segments.Sum(s => (s.To - s.From).TotalSeconds);
        var meanWatts = runSeconds > 0 ? report.ActualRunItKwh * 3_600_000 / runSeconds : o.DefaultPowerWatts;
        return new JobCarbonSummary(jobId, meanWatts, Provenance(coveredSeconds, runSeconds, o.DefaultPowerWatts), report, runSeconds);

        async Task AddSegmentAsync(int cloudId, DateTimeOffset from, DateTimeOffset to)
        {
            foreach (var stretch in training)
            {
                var a = stretch.From > from ? stretch.From : from;
                var b = stretch.To < to ? stretch.To : to;
                if (b > a)
                {
                    await AddStretchAsync(cloudId, a, b).ConfigureAwait(false);
                }
            }
        }

        async Task AddStretchAsync(int cloudId, DateTimeOffset a, DateTimeOffset b)
        {
            TelemetryCoverage? measured = null;
            if (telemetry is not null && (await telemetry.GetEmissionTotalsAsync(a, b, cloudId, ct).ConfigureAwait(false)).FirstOrDefault() is { } t)
            {
                measured = new TelemetryCoverage(t.Kwh, t.Grams, t.KwhWithoutIntensity, t.CoveredSeconds);
            }

            var energy = SegmentEnergy.Combine(a, b, powerKw, Pue(cloudId), await HistoryAsync(cloudId).ConfigureAwait(false), measured);
            coveredSeconds += energy.CoveredSeconds;
            segments.Add(new RunSegment(CloudKeys.Of(cloudId), a, b, energy.ItKwh, energy.Grams));
        }
    }

    /// <summary>
    /// The job's recorded status changes as on/off switches of training, plus a switch on wherever a migration resumed
    /// it (the mover's own status writes are not events).
    /// </summary>
    private async Task<IReadOnlyList<ActivityChange>> ActivityChangesAsync(string jobId, IReadOnlyList<MigrationEntity> completed, CancellationToken ct)
    {
        var changes = (await jobs.StatusChangesOfAsync(jobId, ct).ConfigureAwait(false)).Select(e => new ActivityChange(e.At, Trains(e.To))).ToList();
        changes.AddRange(completed
            .Where(m => m.Step is nameof(MigrationStep.RunningOnTarget) or nameof(MigrationStep.RunningOnSource))
            .Select(m => new ActivityChange(m.CompletedAt!.Value, true)));
        return changes;
    }

    /// <summary>Whether a job in this status is training (or still finishing its current mini-batch) on its cloud.</summary>
    internal static bool Trains(JobStatus status) => JobLifecycle.Trains(status);

    internal static string Provenance(double coveredSeconds, double runSeconds, double defaultWatts)
    {
        var share = runSeconds > 0 ? Math.Clamp(coveredSeconds / runSeconds, 0, 1) : 0;
        return share switch
        {
            0 => string.Create(CultureInfo.InvariantCulture, $"Estimated: Migration:DefaultPowerWatts ({defaultWatts:0} W); no hardware sample covers the run"),
            >= 0.999 => "From the clouds' hardware samples (whole machine, Measured or Estimated per sample)",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"{share:P0} of the run from the clouds' hardware samples (whole machine), the rest at Migration:DefaultPowerWatts ({defaultWatts:0} W)"),
        };
    }

    internal static string Format(JobSnapshot j) => string.Create(CultureInfo.InvariantCulture,
        $"{j.Id}  {j.Status,-10} cloud {j.CurrentCloudId} (first {j.FirstCloudId})  step {j.LastStep?.ToString(CultureInfo.InvariantCulture) ?? "-"}/{j.TotalSteps?.ToString(CultureInfo.InvariantCulture) ?? "?"}  loss {j.LastLoss?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-"}  {j.Name}{(j.ActiveMigrationStep is null ? "" : "  migrating: " + j.ActiveMigrationStep)}");
}
