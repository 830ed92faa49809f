using System.Text.Json.Serialization;

namespace GreenConsole.Core.Migration;

/// <summary>The persisted step of one migration.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationStep>))]
public enum MigrationStep
{
    /// <summary>Decided, nothing touched yet: the job still runs on the source.</summary>
    Requested,

    /// <summary>The source was asked to finish its mini-batch, checkpoint and stop (it writes a <c>stopped</c> marker).</summary>
    Draining,

    /// <summary>The job is stopped on the source and its checkpoint (with checksum) is on the source's disk.</summary>
    Checkpointed,

    /// <summary>The checkpoint is being copied to the target.</summary>
    Transferring,

    /// <summary>The target's copy is being checked against the source checksum.</summary>
    Verifying,

    /// <summary>The job is being started on the target from the checkpoint.</summary>
    Starting,

    /// <summary>Terminal success: the job runs on the target.</summary>
    RunningOnTarget,

    /// <summary>Abandoning the move: make sure the target does not run the job, then resume it on the source.</summary>
    RollingBack,

    /// <summary>Terminal after a rollback: the job resumed on the source from the same checkpoint.</summary>
    RunningOnSource,

    /// <summary>Terminal: unrecoverable (the job itself failed, or rollback was exhausted).</summary>
    Failed,
}

/// <summary>What went wrong, as classified by the controller from the adapters' error kinds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationFailure>))]
public enum MigrationFailure
{
    SourceUnreachable,
    TargetUnreachable,

    /// <summary>The target's checkpoint copy does not match the source checksum.</summary>
    ChecksumMismatch,

    /// <summary>The training process exited with an error that the migration did not cause.</summary>
    JobFailed,

    /// <summary>The current step ran past its timeout (<see cref="MigrationTimeouts"/>).</summary>
    Timeout,

    /// <summary>
    /// The checkpoint itself is unsafe (a pickle that would run code, a link, a path outside its folder): the source
    /// wrote it so, and no second copy can help. Reported while Transferring or Verifying.
    /// </summary>
    UntrustedCheckpoint,
}

[JsonConverter(typeof(JsonStringEnumConverter<FailureAction>))]
public enum FailureAction
{
    /// <summary>Keep the migration pending in its step and try again later (with backoff); not a job failure.</summary>
    WaitAndRetry,

    /// <summary>Go to <see cref="FailureDecision.NextStep"/> and carry on (e.g. transfer again).</summary>
    Retry,

    /// <summary>Go to <see cref="MigrationStep.RollingBack"/>.</summary>
    RollBack,

    /// <summary>Go to <see cref="MigrationStep.Failed"/>.</summary>
    Fail,

    /// <summary>The failure does not affect this step (e.g. source down once the target has the checkpoint).</summary>
    Ignore,
}

/// <summary>The rollback/retry decision for one failure, with the step to go to (null: stay).</summary>
public sealed record FailureDecision(FailureAction Action, MigrationStep? NextStep, string Reason);

/// <summary>Timeouts per step, bound from configuration.</summary>
public sealed class MigrationTimeouts
{
    public TimeSpan Requested { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan Draining { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan Checkpointed { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan Transferring { get; set; } = TimeSpan.FromMinutes(30);
    public TimeSpan Verifying { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan Starting { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan RollingBack { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Transfers (first one included) before a checksum mismatch or transfer timeout rolls back.</summary>
    public int MaxTransferAttempts { get; set; } = 3;

    /// <summary>Rollback attempts before the migration is marked <see cref="MigrationStep.Failed"/>.</summary>
    public int MaxRollbackAttempts { get; set; } = 5;

    /// <summary>The timeout of a step; null for terminal steps, which never time out.</summary>
    public TimeSpan? For(MigrationStep step) => step switch
    {
        MigrationStep.Requested => Requested,
        MigrationStep.Draining => Draining,
        MigrationStep.Checkpointed => Checkpointed,
        MigrationStep.Transferring => Transferring,
        MigrationStep.Verifying => Verifying,
        MigrationStep.Starting => Starting,
        MigrationStep.RollingBack => RollingBack,
        _ => null,
    };

    public void Validate()
    {
        foreach (var step in Enum.GetValues<MigrationStep>())
            if (For(step) is { } t && t <= TimeSpan.Zero)
                throw new ArgumentException($"Migration:Timeouts:{step} must be positive (was {t}).");
        if (MaxTransferAttempts < 1)
            throw new ArgumentException($"Migration:Timeouts:{nameof(MaxTransferAttempts)} must be >= 1 (was {MaxTransferAttempts}).");
        if (MaxRollbackAttempts < 1)
            throw new ArgumentException($"Migration:Timeouts:{nameof(MaxRollbackAttempts)} must be >= 1 (was {MaxRollbackAttempts}).");
    }
}

/// <summary>The persisted state of one migration.</summary>
public sealed record MigrationState
{
    public required Guid MigrationId { get; init; }
    public required string JobId { get; init; }
    public required string SourceCloudId { get; init; }
    public required string TargetCloudId { get; init; }
    public required MigrationStep Step { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required DateTimeOffset StepEnteredAt { get; init; }

    /// <summary>Transfers started so far (a retry after a checksum mismatch counts).</summary>
    public int TransferAttempts { get; init; }

    public int RollbackAttempts { get; init; }
    public MigrationFailure? LastFailure { get; init; }

    public bool IsTerminal => MigrationStateMachine.IsTerminal(Step);
}

/// <summary>One entry of the migration event log.</summary>
public sealed record MigrationEvent(
    Guid MigrationId,
    string JobId,
    MigrationStep From,
    MigrationStep To,
    DateTimeOffset At,
    TimeSpan PreviousStepDuration,
    string Detail);

[JsonConverter(typeof(JsonStringEnumConverter<RecoveryProbe>))]
public enum RecoveryProbe
{
    /// <summary>Nothing to check: <see cref="RecoveryPlan.IfConfirmed"/> applies directly.</summary>
    None,

    /// <summary>Does the source's job folder hold the <c>stopped</c> marker (checkpoint written, process gone)?</summary>
    SourceStoppedMarker,

    /// <summary>Is a complete checkpoint on the target whose checksum matches the source's?</summary>
    TargetChecksumMatches,

    /// <summary>Does the target already run the job (process alive for this job id)?</summary>
    TargetRunsJob,

    /// <summary>Does the source already run the job again?</summary>
    SourceRunsJob,
}

/// <summary>Answer of a recovery probe; <see cref="Unknown"/> when the machine could not be reached.</summary>
public enum ProbeResult
{
    Confirmed,
    NotConfirmed,
    Unknown,
}

/// <summary>
/// What a restarted controller must do for a persisted migration: run <see cref="Probe"/>, then continue at
/// <see cref="IfConfirmed"/> or <see cref="IfNotConfirmed"/> (see <see cref="MigrationStateMachine.ResolveRecovery"/>).
/// </summary>
public sealed record RecoveryPlan(
    MigrationStep PersistedStep,
    RecoveryProbe Probe,
    MigrationStep IfConfirmed,
    MigrationStep IfNotConfirmed,
    string Instructions);

/// <summary>
/// The migration state machine: allowed transitions, event records, failure handling and crash recovery. Pure:
/// time always comes in as an argument (from the caller's <see cref="TimeProvider"/>).
/// </summary>
/// <remarks>
/// <para>Happy path: Requested → Draining → Checkpointed → Transferring → Verifying → Starting → RunningOnTarget.</para>
/// <para>Rollback: any non-terminal step before RunningOnTarget may go to RollingBack, which ends in RunningOnSource:
/// the job resumes on the source from the very checkpoint it drained to (the source copy is never deleted before
/// RunningOnTarget), after the target copy has been stopped, so the job never runs twice. Requested may go straight
/// to RunningOnSource (cancelled before anything stopped).</para>
/// <para>Retries: Verifying → Transferring after a checksum mismatch; Transferring → Transferring restarts a transfer.</para>
/// <para>Failed is reached only when the job's own process failed (not something the migration caused) or a rollback
/// was retried <see cref="MigrationTimeouts.MaxRollbackAttempts"/> times.</para>
/// <para>Failure rules (<see cref="OnFailure"/>): SourceUnreachable is not a job failure. Until the checkpoint is on
/// the target (Requested..Transferring) the migration stays pending in its step and is retried later; once the target
/// holds a verified copy (Verifying, Starting) the source is not needed and the failure is ignored; during RollingBack
/// the controller waits for the source. TargetUnreachable rolls back from every step before RunningOnTarget.
/// ChecksumMismatch (Verifying only) transfers again until MaxTransferAttempts, then rolls back. UntrustedCheckpoint
/// (Transferring or Verifying) rolls back at once. JobFailed during
/// Requested, Draining or RollingBack fails the migration (the job itself is broken); during Starting it rolls back (the target
/// may be at fault). Timeout rolls back, except Transferring/Verifying which retry the transfer while attempts
/// remain, and RollingBack which retries until MaxRollbackAttempts, then Failed.</para>
/// </remarks>
public sealed class MigrationStateMachine
{
    private static readonly Dictionary<MigrationStep, MigrationStep[]> Allowed = new()
    {
        [MigrationStep.Requested] = [MigrationStep.Draining, MigrationStep.RollingBack, MigrationStep.RunningOnSource, MigrationStep.Failed],
        [MigrationStep.Draining] = [MigrationStep.Checkpointed, MigrationStep.RollingBack, MigrationStep.Failed],
        [MigrationStep.Checkpointed] = [MigrationStep.Transferring, MigrationStep.RollingBack],
        [MigrationStep.Transferring] = [MigrationStep.Verifying, MigrationStep.Transferring, MigrationStep.RollingBack],
        [MigrationStep.Verifying] = [MigrationStep.Starting, MigrationStep.Transferring, MigrationStep.RollingBack],
        [MigrationStep.Starting] = [MigrationStep.RunningOnTarget, MigrationStep.RollingBack],
        [MigrationStep.RollingBack] = [MigrationStep.RunningOnSource, MigrationStep.RollingBack, MigrationStep.Failed],
        [MigrationStep.RunningOnTarget] = [],
        [MigrationStep.RunningOnSource] = [],
        [MigrationStep.Failed] = [],
    };

    public MigrationStateMachine(MigrationTimeouts timeouts)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        timeouts.Validate();
        Timeouts = timeouts;
    }

    public MigrationTimeouts Timeouts { get; }

    public static bool IsTerminal(MigrationStep step) =>
        step is MigrationStep.RunningOnTarget or MigrationStep.RunningOnSource or MigrationStep.Failed;

    public static bool CanTransition(MigrationStep from, MigrationStep to) => Array.IndexOf(Allowed[from], to) >= 0;

    public static IReadOnlyList<MigrationStep> AllowedTargets(MigrationStep from) => Allowed[from];

    /// <summary>A new migration in <see cref="MigrationStep.Requested"/>.</summary>
    public static MigrationState Start(Guid migrationId, string jobId, string sourceCloudId, string targetCloudId, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(jobId))
            throw new ArgumentException("Job id is required.", nameof(jobId));
        if (string.IsNullOrWhiteSpace(sourceCloudId) || string.IsNullOrWhiteSpace(targetCloudId))
            throw new ArgumentException("Source and target cloud ids are required.");
        if (sourceCloudId == targetCloudId)
            throw new ArgumentException($"Job '{jobId}': source and target are the same cloud '{sourceCloudId}'.");
        return new MigrationState
        {
            MigrationId = migrationId,
            JobId = jobId,
            SourceCloudId = sourceCloudId,
            TargetCloudId = targetCloudId,
            Step = MigrationStep.Requested,
            RequestedAt = at,
            StepEnteredAt = at,
        };
    }

    /// <summary>Moves to <paramref name="to"/> and returns the new state with its event-log entry.</summary>
    /// <exception cref="InvalidOperationException">The transition is not allowed; the message names both steps.</exception>
    public static (MigrationState State, MigrationEvent Event) Transition(
        MigrationState state, MigrationStep to, DateTimeOffset at, string detail = "")
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!CanTransition(state.Step, to))
            throw new InvalidOperationException(
                $"Migration {state.MigrationId} (job '{state.JobId}'): transition {state.Step} -> {to} is not allowed.");
        if (at < state.StepEnteredAt)
            throw new ArgumentException(
                $"Migration {state.MigrationId}: transition time {at:O} is before the step began ({state.StepEnteredAt:O}).", nameof(at));

        var next = state with
        {
            Step = to,
            StepEnteredAt = at,
            TransferAttempts = to == MigrationStep.Transferring ? state.TransferAttempts + 1 : state.TransferAttempts,
            RollbackAttempts = to == MigrationStep.RollingBack ? state.RollbackAttempts + 1 : state.RollbackAttempts,
        };
        var evt = new MigrationEvent(state.MigrationId, state.JobId, state.Step, to, at, at - state.StepEnteredAt, detail);
        return (next, evt);
    }

    /// <summary>True when the current step has run past its timeout at <paramref name="now"/>.</summary>
    public bool IsTimedOut(MigrationState state, DateTimeOffset now) =>
        Timeouts.For(state.Step) is { } limit && now - state.StepEnteredAt > limit;

    /// <summary>The decision for <paramref name="failure"/> in the current step; see the type's remarks for the rules.</summary>
    public FailureDecision OnFailure(MigrationState state, MigrationFailure failure)
    {
        ArgumentNullException.ThrowIfNull(state);
        var step = state.Step;
        if (IsTerminal(step))
            return new FailureDecision(FailureAction.Ignore, null, $"{step} is terminal; the failure belongs to the job, not the migration.");

        var transfersLeft = state.TransferAttempts < Timeouts.MaxTransferAttempts;
        var rollbacksLeft = state.RollbackAttempts < Timeouts.MaxRollbackAttempts;
        return (failure, step) switch
        {
            (MigrationFailure.SourceUnreachable, MigrationStep.Verifying or MigrationStep.Starting) =>
                new(FailureAction.Ignore, null, "The target holds the checkpoint; the source is not needed for this step."),
            (MigrationFailure.SourceUnreachable, _) =>
                new(FailureAction.WaitAndRetry, null, "Source unreachable: not a job failure; the migration stays pending and is retried."),

            (MigrationFailure.TargetUnreachable, MigrationStep.RollingBack) =>
                new(FailureAction.Ignore, null, "Already rolling back; the target is stopped again when it comes back."),
            (MigrationFailure.TargetUnreachable, _) =>
                new(FailureAction.RollBack, MigrationStep.RollingBack, "Target unreachable: resume the job on the source from its checkpoint."),

            (MigrationFailure.UntrustedCheckpoint, MigrationStep.Transferring or MigrationStep.Verifying) =>
                new(FailureAction.RollBack, MigrationStep.RollingBack, "Untrusted checkpoint: it never runs on the target; roll back."),
            (MigrationFailure.UntrustedCheckpoint, _) =>
                throw new ArgumentException($"Migration {state.MigrationId}: an untrusted checkpoint can only be reported while Transferring or Verifying, not in {step}.", nameof(failure)),

            (MigrationFailure.ChecksumMismatch, MigrationStep.Verifying) when transfersLeft =>
                new(FailureAction.Retry, MigrationStep.Transferring, "Checksum mismatch: transfer the checkpoint again."),
            (MigrationFailure.ChecksumMismatch, MigrationStep.Verifying) =>
                new(FailureAction.RollBack, MigrationStep.RollingBack, "Checksum mismatch and no transfer attempts left: roll back."),
            (MigrationFailure.ChecksumMismatch, _) =>
                throw new ArgumentException($"Migration {state.MigrationId}: a checksum mismatch can only be reported while Verifying, not in {step}.", nameof(failure)),

            (MigrationFailure.JobFailed, MigrationStep.Requested or MigrationStep.Draining or MigrationStep.RollingBack) =>
                new(FailureAction.Fail, MigrationStep.Failed, "The job's own process failed on the source; moving it cannot help."),
            (MigrationFailure.JobFailed, MigrationStep.Starting) =>
                new(FailureAction.RollBack, MigrationStep.RollingBack, "The job failed to start on the target: resume it on the source."),
            (MigrationFailure.JobFailed, _) =>
                new(FailureAction.Ignore, null, $"No job process runs during {step}; the report is stale."),

            (MigrationFailure.Timeout, MigrationStep.Transferring or MigrationStep.Verifying) when transfersLeft =>
                new(FailureAction.Retry, MigrationStep.Transferring, $"{step} timed out: transfer again."),
            (MigrationFailure.Timeout, MigrationStep.RollingBack) when rollbacksLeft =>
                new(FailureAction.Retry, MigrationStep.RollingBack, "Rollback timed out: try the rollback again."),
            (MigrationFailure.Timeout, MigrationStep.RollingBack) =>
                new(FailureAction.Fail, MigrationStep.Failed, "Rollback timed out too often: needs an operator."),
            (MigrationFailure.Timeout, _) =>
                new(FailureAction.RollBack, MigrationStep.RollingBack, $"{step} timed out: roll back to the source."),

            _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Unknown failure kind."),
        };
    }

    /// <summary>
    /// What a restarted controller must do for a migration persisted in <paramref name="persisted"/>'s step so that
    /// no job is left stopped and none runs twice.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Requested: nothing was stopped; start draining (asking to drain twice is harmless).</item>
    /// <item>Draining: check the source's <c>stopped</c> marker: present → Checkpointed and continue; absent → stay
    /// Draining and send the drain request again (idempotent).</item>
    /// <item>Checkpointed: transfer (again) from the source checkpoint, which is kept until RunningOnTarget.</item>
    /// <item>Transferring: check the target copy's checksum: complete → Verifying; otherwise transfer again while
    /// attempts remain, else RollingBack.</item>
    /// <item>Verifying: same probe: match → Starting; otherwise Transferring (attempts left) or RollingBack.</item>
    /// <item>Starting: check whether the target already runs the job: yes → RunningOnTarget without starting it again;
    /// no → stay Starting and start it.</item>
    /// <item>RollingBack: first stop the job on the target (idempotent kill by job id), then check whether the source
    /// runs it: yes → RunningOnSource; no → stay RollingBack and resume it from the checkpoint.</item>
    /// <item>Terminal steps: nothing to do.</item>
    /// </list>
    /// A probe answering <see cref="ProbeResult.Unknown"/> (machine unreachable) keeps the persisted step: wait and retry.
    /// </remarks>
    public RecoveryPlan Recover(MigrationState persisted)
    {
        ArgumentNullException.ThrowIfNull(persisted);
        var step = persisted.Step;
        var transfersLeft = persisted.TransferAttempts < Timeouts.MaxTransferAttempts;
        var retryTransfer = transfersLeft ? MigrationStep.Transferring : MigrationStep.RollingBack;
        return step switch
        {
            MigrationStep.Requested => new(step, RecoveryProbe.None, MigrationStep.Draining, MigrationStep.Draining,
                "The job was never asked to stop: send the drain request."),
            MigrationStep.Draining => new(step, RecoveryProbe.SourceStoppedMarker, MigrationStep.Checkpointed, MigrationStep.Draining,
                "Look for the 'stopped' marker on the source: if present the checkpoint is complete, continue; if not, send the drain request again."),
            MigrationStep.Checkpointed => new(step, RecoveryProbe.None, MigrationStep.Transferring, MigrationStep.Transferring,
                "The checkpoint is on the source: start the transfer."),
            MigrationStep.Transferring => new(step, RecoveryProbe.TargetChecksumMatches, MigrationStep.Verifying, retryTransfer,
                transfersLeft
                    ? "If the target copy is complete and matches, verify it; otherwise restart the transfer."
                    : "If the target copy is complete and matches, verify it; otherwise no attempts are left: roll back."),
            MigrationStep.Verifying => new(step, RecoveryProbe.TargetChecksumMatches, MigrationStep.Starting, retryTransfer,
                "Re-check the target copy: on a match start the job there; otherwise transfer again or roll back."),
            MigrationStep.Starting => new(step, RecoveryProbe.TargetRunsJob, MigrationStep.RunningOnTarget, MigrationStep.Starting,
                "Check whether the target already runs the job before starting it, so it never runs twice."),
            MigrationStep.RollingBack => new(step, RecoveryProbe.SourceRunsJob, MigrationStep.RunningOnSource, MigrationStep.RollingBack,
                "Stop the job on the target (idempotent), then check the source: if it runs the job the rollback is done; otherwise resume it from the checkpoint."),
            _ => new(step, RecoveryProbe.None, step, step, $"{step} is terminal: nothing to recover."),
        };
    }

    /// <summary>
    /// The step to continue at after running the plan's probe (the persisted step when the probe was inconclusive).
    /// When it equals the persisted step no transition is recorded: the controller repeats that step's action.
    /// </summary>
    public static MigrationStep ResolveRecovery(RecoveryPlan plan, ProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Probe == RecoveryProbe.None)
            return plan.IfConfirmed;
        return result switch
        {
            ProbeResult.Confirmed => plan.IfConfirmed,
            ProbeResult.NotConfirmed => plan.IfNotConfirmed,
            _ => plan.PersistedStep,
        };
    }
}
