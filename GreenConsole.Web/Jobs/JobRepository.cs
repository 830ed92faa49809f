using System.Text.Json;
using GreenConsole.Core.Migration;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace GreenConsole.Web.Jobs;

/// <summary>
/// The only writer of jobs, migrations and job events. Every write also refreshes <see cref="JobStore"/>, so that the
/// live pages never show a state the database does not hold; a status change and its event are saved in one
/// transaction, so that the carbon report (which charges run time from status events) never misses a change.
/// </summary>
/// <remarks>
/// Status changes a migration makes are recorded as its "Transition" events, not as status events: the carbon report
/// accounts a move's downtime from the migration row itself.
/// </remarks>
public sealed class JobRepository(IDbContextFactory<GreenConsoleDbContext> db, JobStore store, TimeProvider time)
{
    private static readonly string[] TerminalSteps =
        [nameof(MigrationStep.RunningOnTarget), nameof(MigrationStep.RunningOnSource), nameof(MigrationStep.Failed)];

    public async Task<List<JobEntity>> ListJobsAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        return await context.Jobs.AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The job, or an error that names it.</summary>
    public async Task<JobEntity> LoadAsync(string jobId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        return await context.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No job '{jobId}'.");
    }

    /// <summary>Migrations that have not reached a terminal step (each needs a driver).</summary>
    public async Task<List<MigrationEntity>> PendingMigrationsAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        return await context.Migrations.AsNoTracking().Where(m => !TerminalSteps.Contains(m.Step)).ToListAsync(ct).ConfigureAwait(false);
    }

    public async Task<(MigrationEntity Migration, JobEntity Job)> LoadMigrationAsync(Guid migrationId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var m = await context.Migrations.AsNoTracking().FirstAsync(x => x.Id == migrationId, ct).ConfigureAwait(false);
        var job = await context.Jobs.AsNoTracking().FirstAsync(j => j.Id == m.JobId, ct).ConfigureAwait(false);
        return (m, job);
    }

    public async Task<IReadOnlyList<MigrationEntity>> MigrationsOfAsync(string jobId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        return (await context.Migrations.AsNoTracking().Where(m => m.JobId == jobId).ToListAsync(ct).ConfigureAwait(false))
            .OrderBy(m => m.RequestedAt).ToList();
    }

    public async Task<IReadOnlyList<JobEventEntity>> EventsOfAsync(string jobId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        return await context.JobEvents.AsNoTracking().Where(e => e.JobId == jobId).OrderBy(e => e.Id).ToListAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The job's recorded status changes, oldest first, as the statuses they led to.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset At, JobStatus To)>> StatusChangesOfAsync(string jobId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var events = await context.JobEvents.AsNoTracking().Where(e => e.JobId == jobId && e.Kind == JobStatusEvents.Kind)
            .OrderBy(e => e.Id).Select(e => new { e.At, e.ToStep, e.Message }).ToListAsync(ct).ConfigureAwait(false);
        return [.. events.Select(e => (e.At, To: JobStatusEvents.To(e.ToStep, e.Message))).Where(e => e.To is not null).Select(e => (e.At, e.To!.Value))];
    }

    /// <summary>Jobs and the step of their unfinished migration, newest first.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> SnapshotsAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var jobs = await context.Jobs.AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
        var active = await context.Migrations.AsNoTracking().Where(m => !TerminalSteps.Contains(m.Step))
            .Select(m => new { m.JobId, m.Step }).ToListAsync(ct).ConfigureAwait(false);
        return jobs.OrderByDescending(j => j.CreatedAt)
            .Select(j => JobSnapshot.From(j, active.FirstOrDefault(a => a.JobId == j.Id)?.Step)).ToList();
    }

    /// <summary>Fills the live store from the database (at controller start).</summary>
    public async Task LoadStoreAsync(CancellationToken ct)
    {
        foreach (var job in await SnapshotsAsync(ct).ConfigureAwait(false))
        {
            store.Upsert(job);
        }
    }

    /// <summary>The throughput of the latest completed copy per directed pair of clouds (what the policy prices a move's transfer with).</summary>
    public async Task<IReadOnlyDictionary<CloudPair, double>> MeasuredBandwidthAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var copies = await context.Migrations.AsNoTracking()
            .Where(m => m.TransferBytes > 0 && m.TransferSeconds > 0)
            .Select(m => new { m.SourceCloudId, m.TargetCloudId, m.TransferBytes, m.TransferSeconds, m.RequestedAt })
            .ToListAsync(ct).ConfigureAwait(false);
        return copies
            .GroupBy(m => new CloudPair(CloudKeys.Of(m.SourceCloudId), CloudKeys.Of(m.TargetCloudId)))
            .ToDictionary(g => g.Key, g => g.MaxBy(m => m.RequestedAt) is { } latest ? latest.TransferBytes!.Value / latest.TransferSeconds!.Value : 0);
    }

    /// <summary>Stores a new job with its "started" event.</summary>
    public async Task AddAsync(JobEntity job, string message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            context.Jobs.Add(job);
            context.JobEvents.Add(new JobEventEntity { JobId = job.Id, Kind = JobStatusEvents.Kind, At = job.CreatedAt, Message = message });
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.Upsert(JobSnapshot.From(job));
        store.AddEvent(new JobEventView(job.Id, null, JobStatusEvents.Kind, job.CreatedAt, null, null, null, message));
    }

    /// <summary>Applies a <see cref="JobLifecycle"/> change to a job read earlier and saves the whole row with the change's event.</summary>
    public async Task ApplyAsync(JobEntity job, JobTransition change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(change);
        JobStatusEvents.Apply(job, change);
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            context.Jobs.Update(job);
            context.JobEvents.Add(StatusEvent(change));
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.Upsert(JobSnapshot.From(job));
        store.AddEvent(StatusView(change));
    }

    /// <summary>
    /// Applies a change only if the job still has the status the change starts from (a person, the CLI or a migration
    /// may have changed it since it was read). <paramref name="also"/> sets further columns in the same update.
    /// </summary>
    public async Task<bool> TryApplyAsync(JobTransition change, Action<UpdateSettersBuilder<JobEntity>>? also, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        bool changed;
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            await using var tx = await context.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            changed = await context.Jobs.Where(j => j.Id == change.JobId && j.Status == change.From).ExecuteUpdateAsync(u =>
            {
                u.SetProperty(j => j.Status, change.To);
                if (change.Ends)
                {
                    u.SetProperty(j => j.FinishedAt, change.At);
                }

                also?.Invoke(u);
            }, ct).ConfigureAwait(false) == 1;
            if (changed)
            {
                context.JobEvents.Add(StatusEvent(change));
                await context.SaveChangesAsync(ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        }

        if (changed)
        {
            await RefreshAsync(change.JobId, ct).ConfigureAwait(false);
            store.AddEvent(StatusView(change));
        }

        return changed;
    }

    /// <summary>
    /// Saves what a poll read (progress, and the status <paramref name="change"/> it led to) unless the job left
    /// <paramref name="readAs"/> meanwhile; then the poll is dropped and false returned.
    /// </summary>
    public async Task<bool> SavePollAsync(JobEntity job, JobStatus readAs, JobTransition? change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (change is not null)
        {
            JobStatusEvents.Apply(job, change);
        }

        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            await using var tx = await context.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            var saved = await context.Jobs.Where(j => j.Id == job.Id && j.Status == readAs).ExecuteUpdateAsync(u => u
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
                return false;
            }

            if (change is not null)
            {
                context.JobEvents.Add(StatusEvent(change));
                await context.SaveChangesAsync(ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        store.Upsert(JobSnapshot.From(job));
        if (change is not null)
        {
            store.AddEvent(StatusView(change));
        }

        return true;
    }

    /// <summary>Shows a problem on the job without changing its status; written only when it changes.</summary>
    public async Task RecordErrorAsync(JobEntity job, string error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.LastError == error)
        {
            return;
        }

        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            await context.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(u => u.SetProperty(j => j.LastError, error), ct).ConfigureAwait(false);
        }

        job.LastError = error;
        store.Upsert(JobSnapshot.From(job));
    }

    /// <summary>Saves the whole job row (the migration driver, which owns the job while it moves).</summary>
    public async Task SaveAsync(JobEntity job, string? activeStep, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            context.Jobs.Update(job);
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.Upsert(JobSnapshot.From(job, activeStep));
    }

    /// <summary>
    /// Persists a new migration in Requested and moves the job to Migrating. Refused (with the reason) when the job
    /// cannot move now, already runs on the target, or the target is not registered.
    /// </summary>
    public async Task<Guid> RequestMigrationAsync(string jobId, int targetCloudId, string trigger, CancellationToken ct)
    {
        Guid id;
        JobEntity job;
        string message;
        var now = time.GetUtcNow();
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            job = await context.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No job '{jobId}'.");
            var change = JobLifecycle.RequestMigration(jobId, job.Status, trigger == "Manual" ? JobChangeCause.Manual : JobChangeCause.Policy, now);
            if (job.CurrentCloudId == targetCloudId)
            {
                throw new InvalidOperationException($"Job '{jobId}' already runs on cloud {targetCloudId}.");
            }

            if (Core.Jobs.Definitions.JobModes.TryParse(job.Mode, out var mode) && Core.Jobs.Definitions.JobModes.WhyNotMigratable(mode) is { } why)
            {
                throw new InvalidOperationException($"Job '{jobId}' is not moved: {why}.");
            }

            if (!await context.Clouds.AnyAsync(c => c.Id == targetCloudId, ct).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"No cloud {targetCloudId} is registered.");
            }

            var state = MigrationStateMachine.Start(Guid.NewGuid(), jobId, CloudKeys.Of(job.CurrentCloudId), CloudKeys.Of(targetCloudId), now);
            id = state.MigrationId;
            context.Migrations.Add(new MigrationEntity
            {
                Id = id,
                JobId = jobId,
                SourceCloudId = job.CurrentCloudId,
                TargetCloudId = targetCloudId,
                Trigger = trigger,
                Step = state.Step.ToString(),
                RequestedAt = now,
                StepEnteredAt = now,
            });
            JobStatusEvents.Apply(job, change);
            message = $"{trigger} migration of job {jobId} requested: cloud {job.CurrentCloudId} -> {targetCloudId}";
            context.JobEvents.Add(new JobEventEntity
            {
                JobId = jobId, MigrationId = id, Kind = "Transition", At = now, ToStep = nameof(MigrationStep.Requested), Message = message,
            });
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.Upsert(JobSnapshot.From(job, nameof(MigrationStep.Requested)));
        store.AddEvent(new JobEventView(jobId, id, "Transition", now, null, nameof(MigrationStep.Requested), null, message));
        return id;
    }

    public async Task SaveMigrationAsync(MigrationEntity migration, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        context.Migrations.Update(migration);
        await context.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Saves a migration's new step with its "Transition" event, and shows the job with the step it is in.</summary>
    public async Task SaveTransitionAsync(MigrationEntity migration, JobEntity job, MigrationEvent evt, string detail, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(migration);
        ArgumentNullException.ThrowIfNull(evt);
        var durationMs = evt.PreviousStepDuration.TotalMilliseconds;
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            context.Migrations.Update(migration);
            context.JobEvents.Add(new JobEventEntity
            {
                JobId = migration.JobId,
                MigrationId = migration.Id,
                Kind = "Transition",
                At = evt.At,
                FromStep = evt.From.ToString(),
                ToStep = evt.To.ToString(),
                DurationMs = durationMs,
                Message = detail,
                DataJson = JsonSerializer.Serialize(new
                {
                    migration.CheckpointName, migration.CheckpointBytes, migration.TransferBytes, migration.TransferSeconds,
                    migration.TransferAttempts, migration.RollbackAttempts, migration.Error,
                }),
            });
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.AddEvent(new JobEventView(migration.JobId, migration.Id, "Transition", evt.At, evt.From.ToString(), evt.To.ToString(), durationMs, detail));
        store.Upsert(JobSnapshot.From(job, IsTerminal(evt.To) ? null : evt.To.ToString()));
    }

    public async Task AddEventAsync(string jobId, Guid? migrationId, string kind, string? from, string? to, double? durationMs, string message, string? json, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        await using (var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            context.JobEvents.Add(new JobEventEntity
            {
                JobId = jobId, MigrationId = migrationId, Kind = kind, At = at, FromStep = from, ToStep = to, DurationMs = durationMs, Message = message, DataJson = json,
            });
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        store.AddEvent(new JobEventView(jobId, migrationId, kind, at, from, to, durationMs, message));
    }

    private async Task RefreshAsync(string jobId, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        if (await context.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct).ConfigureAwait(false) is { } job)
        {
            store.Upsert(JobSnapshot.From(job));
        }
    }

    private static bool IsTerminal(MigrationStep step) => TerminalSteps.Contains(step.ToString());

    private static JobEventEntity StatusEvent(JobTransition change) => new()
    {
        JobId = change.JobId, Kind = JobStatusEvents.Kind, At = change.At, FromStep = change.From.ToString(), ToStep = change.To.ToString(), Message = change.Message,
    };

    private static JobEventView StatusView(JobTransition change) =>
        new(change.JobId, null, JobStatusEvents.Kind, change.At, change.From.ToString(), change.To.ToString(), null, change.Message);
}
