using GreenConsole.Core.Jobs;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs.Control;

namespace GreenConsole.Web.Jobs;

/// <summary>A step failed in a way the state machine classifies.</summary>
internal sealed class StepFailureException(MigrationFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public MigrationFailure Failure { get; } = failure;
}

/// <summary>
/// Drives one migration to a terminal step: recovery first (so a restarted controller continues where the persisted
/// step says), then step by step, persisting each step before its action runs.
/// </summary>
internal sealed class MigrationDriver(MigrationDriverContext c, Guid migrationId)
{
    private MigrationEntity _m = null!;
    private JobEntity _job = null!;
    private SshTarget _source = null!;
    private SshTarget _target = null!;
    private MigrationState _state = null!;
    private Task<bool>? _standbyLaunch;

    private TimeSpan Poll => TimeSpan.FromMilliseconds(c.Options.WaitPollMilliseconds);

    public async Task RunAsync(CancellationToken ct)
    {
        (_m, _job) = await c.Jobs.LoadMigrationAsync(migrationId, ct).ConfigureAwait(false);
        _source = await c.Clouds.GetTargetAsync(_m.SourceCloudId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Migration {_m.Id}: source cloud {_m.SourceCloudId} is no longer registered.");
        var target = await c.Clouds.GetTargetAsync(_m.TargetCloudId, ct).ConfigureAwait(false);
        _state = new MigrationState
        {
            MigrationId = _m.Id,
            JobId = _m.JobId,
            SourceCloudId = CloudKeys.Of(_m.SourceCloudId),
            TargetCloudId = CloudKeys.Of(_m.TargetCloudId),
            Step = Enum.Parse<MigrationStep>(_m.Step),
            RequestedAt = _m.RequestedAt,
            StepEnteredAt = _m.StepEnteredAt,
            TransferAttempts = _m.TransferAttempts,
            RollbackAttempts = _m.RollbackAttempts,
            LastFailure = _m.LastFailure is null ? null : Enum.Parse<MigrationFailure>(_m.LastFailure),
        };
        if (target is null)
        {
            await TransitionAsync(MigrationStep.RollingBack, $"Target cloud {_m.TargetCloudId} is no longer registered.", ct).ConfigureAwait(false);
            _target = _source with { CloudId = "missing-" + _m.TargetCloudId, Port = 1 };
        }
        else
        {
            _target = target;
        }

        await RecoverAsync(ct).ConfigureAwait(false);
        while (!_state.IsTerminal)
        {
            try
            {
                if (c.Machine.IsTimedOut(_state, c.Time.GetUtcNow()))
                {
                    throw new StepFailureException(MigrationFailure.Timeout, $"{_state.Step} ran past its timeout {c.Machine.Timeouts.For(_state.Step)}.");
                }

                if (c.Hooks.BeforeStep is { } hook)
                {
                    await hook(_state, ct).ConfigureAwait(false);
                }

                var (next, detail) = await ActAsync(ct).ConfigureAwait(false);
                await TransitionAsync(next, detail, ct).ConfigureAwait(false);
            }
            catch (StepFailureException f)
            {
                await HandleFailureAsync(f, ct).ConfigureAwait(false);
            }
        }

        await FinishAsync(ct).ConfigureAwait(false);
    }

    private async Task HandleFailureAsync(StepFailureException f, CancellationToken ct)
    {
        var decision = c.Machine.OnFailure(_state, f.Failure);
        c.Logger.LogWarning("Migration {Migration} of job {Job}: {Failure} in {Step}: {Error} -> {Action} ({Reason})",
            _m.Id, _m.JobId, f.Failure, _state.Step, f.Message, decision.Action, decision.Reason);
        _m.Error = f.Message;
        _state = _state with { LastFailure = f.Failure };
        switch (decision.Action)
        {
            case FailureAction.WaitAndRetry:
            case FailureAction.Ignore:
                await SaveMigrationAsync(ct).ConfigureAwait(false);
                await c.Jobs.AddEventAsync(_m.JobId, _m.Id, "Transition", _state.Step.ToString(), _state.Step.ToString(), null,
                    $"{f.Failure} in {_state.Step}: {f.Message} ({decision.Reason}); retrying", null, ct).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(c.Options.RetryDelaySeconds), c.Time, ct).ConfigureAwait(false);
                break;
            default:
                if (decision.NextStep == MigrationStep.RollingBack)
                {
                    _m.RollbackReason = $"{f.Failure} in {_state.Step}: {f.Message}";
                }

                await TransitionAsync(decision.NextStep!.Value, $"{f.Failure}: {f.Message} ({decision.Reason})", ct).ConfigureAwait(false);
                break;
        }
    }

    private async Task RecoverAsync(CancellationToken ct)
    {
        var plan = c.Machine.Recover(_state);
        if (plan.Probe == RecoveryProbe.None && plan.IfConfirmed == _state.Step)
        {
            return;
        }

        if (_state.Step == MigrationStep.RollingBack)
        {
            // Never let the job run twice: the target copy is stopped before the source is checked.
            await KillOnTargetAsync(ct).ConfigureAwait(false);
        }

        var result = await ProbeAsync(plan.Probe, ct).ConfigureAwait(false);
        var next = MigrationStateMachine.ResolveRecovery(plan, result);
        c.Logger.LogInformation("Recovering migration {Migration} of job {Job} from {Step}: probe {Probe} = {Result} -> {Next}",
            _m.Id, _m.JobId, _state.Step, plan.Probe, result, next);
        if (next != _state.Step)
        {
            await TransitionAsync(next, $"Recovery: {plan.Probe} = {result}. {plan.Instructions}", ct).ConfigureAwait(false);
        }
    }

    private async Task<ProbeResult> ProbeAsync(RecoveryProbe probe, CancellationToken ct)
    {
        try
        {
            switch (probe)
            {
                case RecoveryProbe.None:
                    return ProbeResult.Confirmed;
                case RecoveryProbe.SourceStoppedMarker:
                    var s = (await c.Agent.PollAsync(_source, _m.JobId, long.MaxValue, ct).ConfigureAwait(false)).Status;
                    if (s.State != RemoteJobState.Stopped)
                    {
                        return ProbeResult.NotConfirmed;
                    }

                    RecordCheckpoint(s);
                    return ProbeResult.Confirmed;
                case RecoveryProbe.TargetChecksumMatches:
                    if (_m.CheckpointName is null)
                    {
                        return ProbeResult.NotConfirmed;
                    }

                    var check = await c.Agent.VerifyCheckpointAsync(_target, _m.JobId, _m.CheckpointName, ct).ConfigureAwait(false);
                    return check.Ok && CheckpointRecord.FromJson(_m.CopiedRecord) is { } record && record.Compare(check.Sha256).Count == 0
                        ? ProbeResult.Confirmed
                        : ProbeResult.NotConfirmed;
                case RecoveryProbe.TargetRunsJob:
                    return Runs((await c.Agent.PollAsync(_target, _m.JobId, long.MaxValue, ct).ConfigureAwait(false)).Status);
                case RecoveryProbe.SourceRunsJob:
                    return Runs((await c.Agent.PollAsync(_source, _m.JobId, long.MaxValue, ct).ConfigureAwait(false)).Status);
                default:
                    return ProbeResult.Unknown;
            }
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            c.Logger.LogWarning("Recovery probe {Probe} of migration {Migration} inconclusive: {Error}", probe, _m.Id, e.Message);
            return ProbeResult.Unknown;
        }
    }

    private ProbeResult Runs(RemoteJobStatus s) =>
        s.State == RemoteJobState.Stopped ? ProbeResult.NotConfirmed :
        s.LauncherAlive || s.State == RemoteJobState.Done || (s.State == RemoteJobState.Running && s.Alive != false && _m.LaunchProgressOffset is not null)
            ? ProbeResult.Confirmed
            : ProbeResult.NotConfirmed;

    private void RecordCheckpoint(RemoteJobStatus s)
    {
        _m.CheckpointName = s.StoppedCheckpoint;
        _m.CheckpointStep = s.StoppedStep;
        _m.CheckpointBytes = s.StoppedCheckpointBytes;
    }

    private async Task<(MigrationStep Next, string Detail)> ActAsync(CancellationToken ct)
    {
        switch (_state.Step)
        {
            case MigrationStep.Requested:
                return (MigrationStep.Draining, $"Asking the job to checkpoint and stop on cloud {_m.SourceCloudId}.");

            case MigrationStep.Draining:
                return await DrainAsync(ct).ConfigureAwait(false);

            case MigrationStep.Checkpointed:
                return (MigrationStep.Transferring, $"Copying {_m.CheckpointName} ({_m.CheckpointBytes} bytes) to cloud {_m.TargetCloudId}.");

            case MigrationStep.Transferring:
                return await TransferAsync(ct).ConfigureAwait(false);

            case MigrationStep.Verifying:
                var v = await OnTarget(() => c.Agent.VerifyCheckpointAsync(_target, _m.JobId, _m.CheckpointName!, ct)).ConfigureAwait(false);
                if (v.Unsafe)
                {
                    throw new StepFailureException(MigrationFailure.UntrustedCheckpoint,
                        $"Checkpoint {_m.CheckpointName} from cloud {_m.SourceCloudId} refused on cloud {_m.TargetCloudId}: {string.Join("; ", v.Problems)}");
                }

                if (!v.Ok)
                {
                    throw new StepFailureException(MigrationFailure.ChecksumMismatch,
                        $"Checkpoint {_m.CheckpointName} on cloud {_m.TargetCloudId} does not match its manifest: {string.Join("; ", v.Problems)}");
                }

                // The manifest came from the source, so it only proves the source's intent; the controller's own
                // record of the bytes it relayed is what the target must match.
                var differences = CheckpointRecord.FromJson(_m.CopiedRecord)?.Compare(v.Sha256)
                    ?? ["the controller holds no record of this copy"];
                if (differences.Count > 0)
                {
                    throw new StepFailureException(MigrationFailure.ChecksumMismatch,
                        $"Checkpoint {_m.CheckpointName} on cloud {_m.TargetCloudId} differs from what the controller copied: {string.Join("; ", differences)}");
                }

                await OnTarget(async () =>
                {
                    await c.Agent.SetLatestCheckpointAsync(_target, _m.JobId, _m.CheckpointName!, ct).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
                return (MigrationStep.Starting, $"Checkpoint {_m.CheckpointName} verified on cloud {_m.TargetCloudId} ({v.Bytes} bytes).");

            case MigrationStep.Starting:
                var (first, how) = await LaunchAndAwaitFirstStepAsync(_target, _m.TargetCloudId, MigrationFailure.TargetUnreachable, useStandby: true, ct).ConfigureAwait(false);
                return (MigrationStep.RunningOnTarget, $"Running on cloud {_m.TargetCloudId} ({how}): first step {first} after checkpoint step {_m.CheckpointStep}.");

            case MigrationStep.RollingBack:
                return await RollBackAsync(ct).ConfigureAwait(false);

            default:
                throw new InvalidOperationException($"Migration {_m.Id}: no action for {_state.Step}.");
        }
    }

    /// <summary>
    /// A researcher's job: the target passes preflight (against the source's package versions) and receives the
    /// project's changed files before the job is asked to stop, so neither costs downtime. The reason when it cannot.
    /// </summary>
    private async Task<string?> PrepareTargetAsync(CancellationToken ct)
    {
        if (c.Specs.DefinitionOf(_job) is not { } d)
        {
            return null;
        }

        if (Core.Jobs.Definitions.JobModes.WhyNotMigratable(d.Mode) is { } why)
        {
            return $"Not moved: {why}.";
        }

        try
        {
            var bytes = await c.Prepare.ProjectBytesAsync(d, ct).ConfigureAwait(false);
            var label = $"cloud {_m.TargetCloudId}";
            var pre = await c.Prepare.PreflightAsync(_job.Id, d, _m.TargetCloudId, _target, label, bytes, _source, ct).ConfigureAwait(false);
            await c.Jobs.AddEventAsync(_m.JobId, _m.Id, "Preflight", null, null, null, pre.Summary, null, ct).ConfigureAwait(false);
            if (!pre.Ok)
            {
                return $"Preflight refused {pre.Summary}; the job stays on cloud {_m.SourceCloudId}.";
            }

            if (await c.Prepare.SyncAsync(_job.Id, d, _target, ct).ConfigureAwait(false) is { } sync)
            {
                await c.Jobs.AddEventAsync(_m.JobId, _m.Id, "Sync", null, null, sync.Elapsed.TotalMilliseconds,
                    $"Project copied to cloud {_m.TargetCloudId}: {sync.Describe()}", System.Text.Json.JsonSerializer.Serialize(sync), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is Core.Jobs.Definitions.ProjectException or RemoteShellException or TrainingJobException)
        {
            c.Logger.LogWarning("Migration {Migration}: cloud {Cloud} not prepared for job {Job}: {Error}", _m.Id, _m.TargetCloudId, _m.JobId, e.Message);
            return $"The project could not be copied to cloud {_m.TargetCloudId}: {e.Message}; the job stays on cloud {_m.SourceCloudId}.";
        }

        return null;
    }

    private async Task<(MigrationStep, string)> DrainAsync(CancellationToken ct)
    {
        if (_m.StopRequestedAt is null)
        {
            if (await PrepareTargetAsync(ct).ConfigureAwait(false) is { } refused)
            {
                // Nothing was asked of the source yet: the roll-back finds it still training and leaves it there.
                return (MigrationStep.RollingBack, refused);
            }

            var warm = await WarmUpTargetAsync(ct).ConfigureAwait(false);
            if (warm.Length > 0)
            {
                await c.Jobs.AddEventAsync(_m.JobId, _m.Id, "Standby", null, null, null, $"Before the stop request:{warm}.", null, ct).ConfigureAwait(false);
            }

            _m.StopRequestedAt = c.Time.GetUtcNow();
            await SaveMigrationAsync(ct).ConfigureAwait(false);
        }

        await OnSource(async () =>
        {
            await c.Agent.RequestStopAsync(_source, _m.JobId, ct).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        if (c.Options.WarmStandby && _standbyLaunch is null)
        {
            // Runs beside the drain and the transfer; Starting uses the standby if it is alive by then.
            _standbyLaunch = StartStandbyAsync(ct);
        }

        while (true)
        {
            var asked = c.Time.GetTimestamp();
            var poll = await OnSource(() => PollOrWaitAsync(_source, _job.ProgressOffset, RemoteWaitCondition.StoppedOrDone, ct)).ConfigureAwait(false);
            JobProgress.Apply(_job, poll, _m.SourceCloudId, c.Store);
            var s = poll.Status;
            switch (poll.State)
            {
                case RemoteJobState.Stopped:
                    RecordCheckpoint(s);
                    _job.LastCheckpointBytes = s.StoppedCheckpointBytes;
                    await c.Jobs.SaveAsync(_job, _state.Step.ToString(), ct).ConfigureAwait(false);
                    // A researcher's own checkpoints come every N steps: the page says what a move costs them.
                    var lost = s.LostSteps is > 0 ? $" The script's newest checkpoint is step {s.StoppedStep}: {s.LostSteps} step(s) after it run again." : "";
                    var why = s.StopReason is { Length: > 0 } r && r.StartsWith("killed", StringComparison.Ordinal) ? $" The script was {r}." : "";
                    return (MigrationStep.Checkpointed, $"Stopped after step {s.StoppedStep}: checkpoint {s.StoppedCheckpoint}, {s.StoppedCheckpointBytes} bytes.{why}{lost}");
                case RemoteJobState.Done:
                    _job.FinalWeightsSha256 = s.FinalWeightsSha256;
                    _m.RollbackReason = "The job finished before it could be moved.";
                    return (MigrationStep.RollingBack, "The job finished on the source during the drain; nothing to move.");
                case RemoteJobState.Exited:
                    throw new StepFailureException(MigrationFailure.JobFailed, $"The job's process on cloud {_m.SourceCloudId} exited without a checkpoint.");
            }

            CheckTimeout();
            await PauseAfterAsync(asked, ct).ConfigureAwait(false);
        }
    }

    /// <summary>With a remote wait the next round starts at once, unless the wait came back early (nothing to wait on).</summary>
    private async Task PauseAfterAsync(long asked, CancellationToken ct)
    {
        if (c.Options.RemoteWaitMilliseconds == 0 || c.Time.GetElapsedTime(asked) < TimeSpan.FromMilliseconds(Math.Min(50, c.Options.RemoteWaitMilliseconds)))
        {
            await Task.Delay(Poll, c.Time, ct).ConfigureAwait(false);
        }
    }

    private Task<TrainingPoll> PollOrWaitAsync(SshTarget where, long offset, RemoteWaitCondition until, CancellationToken ct) =>
        c.Options.RemoteWaitMilliseconds > 0
            ? c.Agent.WaitAndPollAsync(where, _m.JobId, offset, until, TimeSpan.FromMilliseconds(c.Options.RemoteWaitMilliseconds), ct)
            : c.Agent.PollAsync(where, _m.JobId, offset, ct);

    /// <summary>The warm standby is an optimisation: any failure only means Starting launches the job as before.</summary>
    private async Task<bool> StartStandbyAsync(CancellationToken ct)
    {
        try
        {
            var started = await c.Agent.StartStandbyAsync(_target, c.Specs.Of(_job), TimeSpan.FromSeconds(c.Options.StandbyTimeoutSeconds), ct).ConfigureAwait(false);
            if (!started)
            {
                c.Logger.LogWarning("Migration {Migration}: job {Job} already runs on cloud {Cloud}; no standby started", _m.Id, _m.JobId, _m.TargetCloudId);
            }

            return started;
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException or IOException)
        {
            c.Logger.LogWarning("Migration {Migration}: no warm standby of job {Job} on cloud {Cloud}: {Error}", _m.Id, _m.JobId, _m.TargetCloudId, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Before the source is asked to stop: starts the warm standby on the target and waits (bounded) until it has
    /// imported and built everything, so that set-up costs no downtime and does not compete with the checkpoint write.
    /// The job keeps training on the source meanwhile; a standby that fails or is slow only costs that saving.
    /// </summary>
    private async Task<string> WarmUpTargetAsync(CancellationToken ct)
    {
        if (!c.Options.WarmStandby)
        {
            return string.Empty;
        }

        _standbyLaunch = StartStandbyAsync(ct);
        if (!await _standbyLaunch.ConfigureAwait(false))
        {
            return " no warm standby on the target";
        }

        if (c.Options.StandbyReadySeconds == 0)
        {
            return " warm standby starting on the target";
        }

        var started = c.Time.GetTimestamp();
        try
        {
            var ready = await c.Agent.WaitForStandbyReadyAsync(_target, _m.JobId, TimeSpan.FromSeconds(c.Options.StandbyReadySeconds), ct).ConfigureAwait(false);
            var waited = c.Time.GetElapsedTime(started).TotalSeconds;
            return ready
                ? FormattableString.Invariant($" warm standby ready on cloud {_m.TargetCloudId} after {waited:0.##} s")
                : FormattableString.Invariant($" warm standby not ready after {waited:0.##} s; stopping anyway");
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            c.Logger.LogWarning("Migration {Migration}: could not wait for the standby of job {Job} on cloud {Cloud}: {Error}", _m.Id, _m.JobId, _m.TargetCloudId, e.Message);
            return " standby state unknown; stopping anyway";
        }
    }

    /// <summary>Lets an in-flight standby launch finish, so a kill that follows cannot miss the process it starts.</summary>
    private async Task SettleStandbyLaunchAsync()
    {
        if (_standbyLaunch is { } launch)
        {
            try
            {
                await launch.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                c.Logger.LogDebug("Standby launch of migration {Migration} was cancelled", _m.Id);
            }
        }
    }

    private async Task<(MigrationStep, string)> TransferAsync(CancellationToken ct)
    {
        try
        {
            var copy = await c.Agent.CopyCheckpointAsync(_source, _target, _m.JobId, _m.CheckpointName!, ct).ConfigureAwait(false);
            _m.TransferBytes = copy.Bytes;
            _m.TransferSeconds = copy.Elapsed.TotalSeconds;
            _m.CopiedRecord = copy.Record?.ToJson();
            await SaveMigrationAsync(ct).ConfigureAwait(false);
            return (MigrationStep.Verifying,
                FormattableString.Invariant($"Copied {copy.Bytes} bytes in {copy.Elapsed.TotalSeconds:0.###} s ({copy.BytesPerSecond / 1e6:0.##} MB/s)."));
        }
        catch (UntrustedCheckpointException e)
        {
            throw new StepFailureException(MigrationFailure.UntrustedCheckpoint, e.Message, e);
        }
        catch (RemoteShellException e)
        {
            // The copy touches both clouds: ask each which one is gone.
            if (!await CheckAsync(_target, ct).ConfigureAwait(false))
            {
                throw new StepFailureException(MigrationFailure.TargetUnreachable, $"Cloud {_m.TargetCloudId} is unreachable: {e.Message}", e);
            }

            if (!await CheckAsync(_source, ct).ConfigureAwait(false))
            {
                throw new StepFailureException(MigrationFailure.SourceUnreachable, $"Cloud {_m.SourceCloudId} is unreachable: {e.Message}", e);
            }

            throw new StepFailureException(MigrationFailure.Timeout, $"Transfer failed: {e.Message}", e);
        }
    }

    private async Task<bool> CheckAsync(SshTarget t, CancellationToken ct)
    {
        try
        {
            await c.Agent.PollAsync(t, _m.JobId, long.MaxValue, ct).ConfigureAwait(false);
            return true;
        }
        catch (RemoteShellException)
        {
            return false;
        }
        catch (TrainingJobException)
        {
            return true;
        }
    }

    private async Task<(MigrationStep, string)> RollBackAsync(CancellationToken ct)
    {
        await KillOnTargetAsync(ct).ConfigureAwait(false);
        var s = (await OnSource(() => c.Agent.PollAsync(_source, _m.JobId, _job.ProgressOffset, ct)).ConfigureAwait(false)).Status;
        if (s.State == RemoteJobState.Done)
        {
            _job.FinalWeightsSha256 = s.FinalWeightsSha256;
            return (MigrationStep.RunningOnSource, "The job had finished on the source; nothing to resume.");
        }

        if (s.State == RemoteJobState.Running && s.Alive != false)
        {
            return (MigrationStep.RunningOnSource, "The job still runs on the source.");
        }

        var (first, _) = await LaunchAndAwaitFirstStepAsync(_source, _m.SourceCloudId, MigrationFailure.SourceUnreachable, useStandby: false, ct).ConfigureAwait(false);
        return (MigrationStep.RunningOnSource, $"Resumed on cloud {_m.SourceCloudId} at step {first} from {s.LatestCheckpoint}.");
    }

    private async Task KillOnTargetAsync(CancellationToken ct)
    {
        await SettleStandbyLaunchAsync().ConfigureAwait(false);
        try
        {
            await c.Agent.KillAsync(_target, _m.JobId, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            c.Logger.LogWarning("Could not make sure job {Job} is stopped on cloud {Cloud}: {Error}", _m.JobId, _m.TargetCloudId, e.Message);
        }
    }

    /// <summary>
    /// Releases the warm standby (when <paramref name="useStandby"/> and one is alive) or starts the job with GC_RESUME=1
    /// (unless it already runs there), then waits for its first new step line.
    /// </summary>
    private async Task<(long First, string How)> LaunchAndAwaitFirstStepAsync(SshTarget where, int cloudId, MigrationFailure unreachable, bool useStandby, CancellationToken ct)
    {
        var spec = c.Specs.Of(_job);
        var how = "already running";
        var released = false;
        if (_m.LaunchProgressOffset is null || !await RunsAsync(where, ct).ConfigureAwait(false))
        {
            TrainingLaunchResult? launch = null;
            if (useStandby)
            {
                await SettleStandbyLaunchAsync().ConfigureAwait(false);
                launch = await Classify(() => c.Agent.ReleaseStandbyAsync(where, _m.JobId, ct), unreachable, cloudId).ConfigureAwait(false);
            }

            released = launch is not null;
            how = released ? "warm standby released" : "cold launch";
            launch ??= await Classify(() => c.Agent.StartAsync(where, spec, resume: true, ct), unreachable, cloudId).ConfigureAwait(false);
            _m.LaunchProgressOffset = launch.ProgressOffset;
            await SaveMigrationAsync(ct).ConfigureAwait(false);
        }

        var offset = _m.LaunchProgressOffset!.Value;
        var probe = new JobEntity { Id = _job.Id, Name = _job.Name, TrainerArguments = _job.TrainerArguments, ProgressOffset = offset };
        while (true)
        {
            var asked = c.Time.GetTimestamp();
            var poll = await Classify(() => PollOrWaitAsync(where, offset, RemoteWaitCondition.NewStepLine, ct), unreachable, cloudId).ConfigureAwait(false);
            offset = poll.NextOffset;
            JobProgress.Apply(probe, poll, cloudId, c.Store);
            if (poll.Lines.FirstOrDefault(l => l.IsStep) is { } first)
            {
                var now = c.Time.GetUtcNow();
                _m.FirstStepAfterResume = first.Step;
                _m.DowntimeSeconds = _m.StopRequestedAt is { } stop ? (now - stop).TotalSeconds : null;
                _job.ProgressOffset = offset;
                _job.LastStep = probe.LastStep;
                _job.LastLoss = probe.LastLoss;
                _job.LastEpoch = probe.LastEpoch;
                _job.TotalSteps = probe.TotalSteps ?? _job.TotalSteps;
                _job.LastProgressAt = probe.LastProgressAt;
                return (first.Step, how);
            }

            if (poll.State == RemoteJobState.Done)
            {
                // Resumed from its final checkpoint: nothing was left to train, and it finished at once.
                _job.ProgressOffset = offset;
                return (_m.CheckpointStep ?? 0, how + ", finished at once");
            }

            var gone = poll.Status.State is RemoteJobState.Exited || poll.Status.State == RemoteJobState.NotStarted && !poll.Status.LauncherAlive;
            if (gone && released)
            {
                // The standby ended (its own timeout) just as go came: start it the ordinary way once.
                c.Logger.LogWarning("Migration {Migration}: the released standby of job {Job} on cloud {Cloud} is gone; launching it", _m.Id, _m.JobId, cloudId);
                released = false;
                how = "cold launch after the standby was gone";
                var relaunch = await Classify(() => c.Agent.StartAsync(where, spec, resume: true, ct), unreachable, cloudId).ConfigureAwait(false);
                _m.LaunchProgressOffset = relaunch.ProgressOffset;
                await SaveMigrationAsync(ct).ConfigureAwait(false);
                offset = relaunch.ProgressOffset;
                continue;
            }

            if (gone)
            {
                throw new StepFailureException(MigrationFailure.JobFailed, poll.Status.Exit is { } exit
                    ? $"The job did not start on cloud {cloudId}: {Definitions.JobSubmitter.ExitMessage(cloudId, exit)}"
                    : $"The job did not start on cloud {cloudId} (state {poll.Status.State}); see train.log there.");
            }

            CheckTimeout();
            await PauseAfterAsync(asked, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> RunsAsync(SshTarget where, CancellationToken ct)
    {
        try
        {
            return Runs((await c.Agent.PollAsync(where, _m.JobId, long.MaxValue, ct).ConfigureAwait(false)).Status) == ProbeResult.Confirmed;
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            return false;
        }
    }

    private void CheckTimeout()
    {
        if (c.Machine.IsTimedOut(_state, c.Time.GetUtcNow()))
        {
            throw new StepFailureException(MigrationFailure.Timeout, $"{_state.Step} ran past its timeout {c.Machine.Timeouts.For(_state.Step)}.");
        }
    }

    private Task<T> OnSource<T>(Func<Task<T>> action) => Classify(action, MigrationFailure.SourceUnreachable, _m.SourceCloudId);

    private Task<T> OnTarget<T>(Func<Task<T>> action) => Classify(action, MigrationFailure.TargetUnreachable, _m.TargetCloudId);

    private static async Task<T> Classify<T>(Func<Task<T>> action, MigrationFailure unreachable, int cloudId)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (RemoteShellException e)
        {
            throw new StepFailureException(unreachable, $"Cloud {cloudId}: {e.Kind}: {e.Message}", e);
        }
        catch (TrainingJobException e)
        {
            throw new StepFailureException(MigrationFailure.JobFailed, e.Message, e);
        }
    }

    private async Task TransitionAsync(MigrationStep to, string detail, CancellationToken ct)
    {
        var (next, evt) = MigrationStateMachine.Transition(_state, to, c.Time.GetUtcNow(), detail);
        _state = next;
        if (to == MigrationStep.RollingBack)
        {
            // An offset recorded for the target's incarnation means nothing on the source.
            _m.LaunchProgressOffset = null;
        }

        _m.Step = next.Step.ToString();
        _m.StepEnteredAt = next.StepEnteredAt;
        _m.TransferAttempts = next.TransferAttempts;
        _m.RollbackAttempts = next.RollbackAttempts;
        _m.LastFailure = next.LastFailure?.ToString();
        if (next.IsTerminal)
        {
            _m.CompletedAt = evt.At;
        }

        await c.Jobs.SaveTransitionAsync(_m, _job, evt, detail, ct).ConfigureAwait(false);
        c.Logger.LogInformation("Migration {Migration} of job {Job}: {From} -> {To} after {Ms} ms: {Detail}",
            _m.Id, _m.JobId, evt.From, evt.To, (long)evt.PreviousStepDuration.TotalMilliseconds, detail);
    }

    private Task SaveMigrationAsync(CancellationToken ct) => c.Jobs.SaveMigrationAsync(_m, ct);

    private async Task FinishAsync(CancellationToken ct)
    {
        if (_state.Step != MigrationStep.RunningOnTarget && _standbyLaunch is not null)
        {
            // A migration that did not land on the target must leave no standby there.
            await KillOnTargetAsync(ct).ConfigureAwait(false);
        }

        var now = c.Time.GetUtcNow();
        var onTarget = _state.Step == MigrationStep.RunningOnTarget;
        var onSource = _state.Step == MigrationStep.RunningOnSource;
        JobStatusEvents.Apply(_job, JobLifecycle.MigrationEnded(_job.Id, _job.Status, onTarget, onSource, _job.FinalWeightsSha256 is not null, now));
        if (onTarget)
        {
            _job.CurrentCloudId = _m.TargetCloudId;
            _job.ArrivedOnCurrentAt = now;
        }
        else if (!onSource)
        {
            _job.LastError = $"Migration {_m.Id} failed: {_m.Error}";
        }

        await c.Jobs.SaveAsync(_job, null, ct).ConfigureAwait(false);
    }
}
