using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public class MigrationStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2023, 5, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly Guid Id = Guid.Parse("6b0f7f0e-7d1e-4d55-9a51-4a3a8f3c2e11");

    // Written out independently of the implementation's table.
    private static readonly HashSet<(MigrationStep, MigrationStep)> Expected =
    [
        (MigrationStep.Requested, MigrationStep.Draining),
        (MigrationStep.Requested, MigrationStep.RollingBack),
        (MigrationStep.Requested, MigrationStep.RunningOnSource),
        (MigrationStep.Requested, MigrationStep.Failed),
        (MigrationStep.Draining, MigrationStep.Checkpointed),
        (MigrationStep.Draining, MigrationStep.RollingBack),
        (MigrationStep.Draining, MigrationStep.Failed),
        (MigrationStep.Checkpointed, MigrationStep.Transferring),
        (MigrationStep.Checkpointed, MigrationStep.RollingBack),
        (MigrationStep.Transferring, MigrationStep.Verifying),
        (MigrationStep.Transferring, MigrationStep.Transferring),
        (MigrationStep.Transferring, MigrationStep.RollingBack),
        (MigrationStep.Verifying, MigrationStep.Starting),
        (MigrationStep.Verifying, MigrationStep.Transferring),
        (MigrationStep.Verifying, MigrationStep.RollingBack),
        (MigrationStep.Starting, MigrationStep.RunningOnTarget),
        (MigrationStep.Starting, MigrationStep.RollingBack),
        (MigrationStep.RollingBack, MigrationStep.RunningOnSource),
        (MigrationStep.RollingBack, MigrationStep.RollingBack),
        (MigrationStep.RollingBack, MigrationStep.Failed),
    ];

    public static TheoryData<MigrationStep, MigrationStep> AllPairs()
    {
        var data = new TheoryData<MigrationStep, MigrationStep>();
        foreach (var from in Enum.GetValues<MigrationStep>())
            foreach (var to in Enum.GetValues<MigrationStep>())
                data.Add(from, to);
        return data;
    }

    private static MigrationState At(MigrationStep step, int transfers = 0, int rollbacks = 0) =>
        MigrationStateMachine.Start(Id, "job-7", "src", "tgt", T0) with
        {
            Step = step,
            TransferAttempts = transfers,
            RollbackAttempts = rollbacks,
        };

    private static MigrationStateMachine Machine(int maxTransfers = 3, int maxRollbacks = 2) =>
        new(new MigrationTimeouts { MaxTransferAttempts = maxTransfers, MaxRollbackAttempts = maxRollbacks });

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_transition_is_allowed_or_rejected_by_name(MigrationStep from, MigrationStep to)
    {
        var state = At(from);
        var at = T0.AddMinutes(3);
        if (Expected.Contains((from, to)))
        {
            var (next, evt) = MigrationStateMachine.Transition(state, to, at, "detail");
            Assert.Equal(to, next.Step);
            Assert.Equal(at, next.StepEnteredAt);
            Assert.Equal(new MigrationEvent(Id, "job-7", from, to, at, TimeSpan.FromMinutes(3), "detail"), evt);
        }
        else
        {
            var ex = Assert.Throws<InvalidOperationException>(() => MigrationStateMachine.Transition(state, to, at));
            Assert.Contains($"{from} -> {to}", ex.Message);
        }
    }

    [Fact]
    public void Happy_path_logs_one_event_per_step_with_durations()
    {
        var state = MigrationStateMachine.Start(Id, "job-7", "src", "tgt", T0);
        var steps = new[]
        {
            MigrationStep.Draining, MigrationStep.Checkpointed, MigrationStep.Transferring,
            MigrationStep.Verifying, MigrationStep.Starting, MigrationStep.RunningOnTarget,
        };
        var events = new List<MigrationEvent>();
        var at = T0;
        for (var i = 0; i < steps.Length; i++)
        {
            at = at.AddSeconds(10 * (i + 1));
            (state, var evt) = MigrationStateMachine.Transition(state, steps[i], at);
            events.Add(evt);
        }

        Assert.True(state.IsTerminal);
        Assert.Equal(1, state.TransferAttempts);
        Assert.Equal(steps, events.Select(e => e.To));
        Assert.Equal(new[] { 10, 20, 30, 40, 50, 60 }.Select(s => TimeSpan.FromSeconds(s)), events.Select(e => e.PreviousStepDuration));
    }

    [Fact]
    public void Transition_back_in_time_is_rejected()
    {
        var state = At(MigrationStep.Requested) with { StepEnteredAt = T0.AddMinutes(5) };
        Assert.Throws<ArgumentException>(() => MigrationStateMachine.Transition(state, MigrationStep.Draining, T0));
    }

    [Fact]
    public void Start_rejects_same_source_and_target()
    {
        var ex = Assert.Throws<ArgumentException>(() => MigrationStateMachine.Start(Id, "job-7", "a", "a", T0));
        Assert.Contains("'a'", ex.Message);
    }

    [Theory]
    [InlineData(MigrationStep.Requested, 5, false)]
    [InlineData(MigrationStep.Requested, 6, true)]
    [InlineData(MigrationStep.Transferring, 30, false)]
    [InlineData(MigrationStep.Transferring, 31, true)]
    [InlineData(MigrationStep.RunningOnTarget, 100_000, false)]
    public void Detects_timeouts_per_step(MigrationStep step, int minutes, bool timedOut)
    {
        var m = new MigrationStateMachine(new MigrationTimeouts { Requested = TimeSpan.FromMinutes(5), Transferring = TimeSpan.FromMinutes(30) });
        Assert.Equal(timedOut, m.IsTimedOut(At(step), T0.AddMinutes(minutes)));
    }

    [Theory]
    // Source unreachable: never a job failure.
    [InlineData(MigrationStep.Requested, MigrationFailure.SourceUnreachable, 1, FailureAction.WaitAndRetry, null)]
    [InlineData(MigrationStep.Draining, MigrationFailure.SourceUnreachable, 1, FailureAction.WaitAndRetry, null)]
    [InlineData(MigrationStep.Checkpointed, MigrationFailure.SourceUnreachable, 1, FailureAction.WaitAndRetry, null)]
    [InlineData(MigrationStep.Transferring, MigrationFailure.SourceUnreachable, 1, FailureAction.WaitAndRetry, null)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.SourceUnreachable, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.Starting, MigrationFailure.SourceUnreachable, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.RollingBack, MigrationFailure.SourceUnreachable, 1, FailureAction.WaitAndRetry, null)]
    // Target unreachable: roll back to the source.
    [InlineData(MigrationStep.Requested, MigrationFailure.TargetUnreachable, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Draining, MigrationFailure.TargetUnreachable, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Checkpointed, MigrationFailure.TargetUnreachable, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Transferring, MigrationFailure.TargetUnreachable, 1, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.TargetUnreachable, 1, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Starting, MigrationFailure.TargetUnreachable, 1, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.RollingBack, MigrationFailure.TargetUnreachable, 1, FailureAction.Ignore, null)]
    // Checksum mismatch: retry the transfer while attempts remain.
    [InlineData(MigrationStep.Verifying, MigrationFailure.ChecksumMismatch, 1, FailureAction.Retry, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.ChecksumMismatch, 2, FailureAction.Retry, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.ChecksumMismatch, 3, FailureAction.RollBack, MigrationStep.RollingBack)]
    // Job failed.
    [InlineData(MigrationStep.Requested, MigrationFailure.JobFailed, 0, FailureAction.Fail, MigrationStep.Failed)]
    [InlineData(MigrationStep.Draining, MigrationFailure.JobFailed, 0, FailureAction.Fail, MigrationStep.Failed)]
    [InlineData(MigrationStep.Checkpointed, MigrationFailure.JobFailed, 0, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.Transferring, MigrationFailure.JobFailed, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.JobFailed, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.Starting, MigrationFailure.JobFailed, 1, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.RollingBack, MigrationFailure.JobFailed, 1, FailureAction.Fail, MigrationStep.Failed)]
    // Timeouts.
    [InlineData(MigrationStep.Requested, MigrationFailure.Timeout, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Draining, MigrationFailure.Timeout, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Checkpointed, MigrationFailure.Timeout, 0, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Transferring, MigrationFailure.Timeout, 1, FailureAction.Retry, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Transferring, MigrationFailure.Timeout, 3, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.Timeout, 2, FailureAction.Retry, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Verifying, MigrationFailure.Timeout, 3, FailureAction.RollBack, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Starting, MigrationFailure.Timeout, 1, FailureAction.RollBack, MigrationStep.RollingBack)]
    // Terminal steps ignore everything.
    [InlineData(MigrationStep.RunningOnTarget, MigrationFailure.TargetUnreachable, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.RunningOnSource, MigrationFailure.JobFailed, 1, FailureAction.Ignore, null)]
    [InlineData(MigrationStep.Failed, MigrationFailure.Timeout, 1, FailureAction.Ignore, null)]
    public void Failure_decisions(MigrationStep step, MigrationFailure failure, int transfers, FailureAction action, MigrationStep? next)
    {
        var decision = Machine().OnFailure(At(step, transfers), failure);
        Assert.Equal(action, decision.Action);
        Assert.Equal(next, decision.NextStep);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
        if (next is { } to && to != step)
            Assert.True(MigrationStateMachine.CanTransition(step, to), $"{step} -> {to} must be allowed");
    }

    [Theory]
    [InlineData(1, FailureAction.Retry, MigrationStep.RollingBack)]
    [InlineData(2, FailureAction.Fail, MigrationStep.Failed)]
    public void Rollback_timeouts_retry_then_fail(int rollbacks, FailureAction action, MigrationStep next)
    {
        var decision = Machine(maxRollbacks: 2).OnFailure(At(MigrationStep.RollingBack, 1, rollbacks), MigrationFailure.Timeout);
        Assert.Equal(action, decision.Action);
        Assert.Equal(next, decision.NextStep);
    }

    [Theory]
    [InlineData(MigrationStep.Transferring)]
    [InlineData(MigrationStep.Starting)]
    public void Checksum_mismatch_outside_verifying_is_an_error(MigrationStep step)
    {
        var ex = Assert.Throws<ArgumentException>(() => Machine().OnFailure(At(step, 1), MigrationFailure.ChecksumMismatch));
        Assert.Contains(step.ToString(), ex.Message);
    }

    [Fact]
    public void Transfer_retries_count_attempts()
    {
        var s = At(MigrationStep.Checkpointed);
        (s, _) = MigrationStateMachine.Transition(s, MigrationStep.Transferring, T0.AddMinutes(1));
        (s, _) = MigrationStateMachine.Transition(s, MigrationStep.Verifying, T0.AddMinutes(2));
        (s, _) = MigrationStateMachine.Transition(s, MigrationStep.Transferring, T0.AddMinutes(3));
        Assert.Equal(2, s.TransferAttempts);
        (s, _) = MigrationStateMachine.Transition(s, MigrationStep.RollingBack, T0.AddMinutes(4));
        Assert.Equal(1, s.RollbackAttempts);
    }

    [Theory]
    [InlineData(MigrationStep.Requested, 0, RecoveryProbe.None, ProbeResult.Unknown, MigrationStep.Draining)]
    [InlineData(MigrationStep.Draining, 0, RecoveryProbe.SourceStoppedMarker, ProbeResult.Confirmed, MigrationStep.Checkpointed)]
    [InlineData(MigrationStep.Draining, 0, RecoveryProbe.SourceStoppedMarker, ProbeResult.NotConfirmed, MigrationStep.Draining)]
    [InlineData(MigrationStep.Draining, 0, RecoveryProbe.SourceStoppedMarker, ProbeResult.Unknown, MigrationStep.Draining)]
    [InlineData(MigrationStep.Checkpointed, 0, RecoveryProbe.None, ProbeResult.Confirmed, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Transferring, 1, RecoveryProbe.TargetChecksumMatches, ProbeResult.Confirmed, MigrationStep.Verifying)]
    [InlineData(MigrationStep.Transferring, 1, RecoveryProbe.TargetChecksumMatches, ProbeResult.NotConfirmed, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Transferring, 3, RecoveryProbe.TargetChecksumMatches, ProbeResult.NotConfirmed, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Transferring, 1, RecoveryProbe.TargetChecksumMatches, ProbeResult.Unknown, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Verifying, 1, RecoveryProbe.TargetChecksumMatches, ProbeResult.Confirmed, MigrationStep.Starting)]
    [InlineData(MigrationStep.Verifying, 1, RecoveryProbe.TargetChecksumMatches, ProbeResult.NotConfirmed, MigrationStep.Transferring)]
    [InlineData(MigrationStep.Verifying, 3, RecoveryProbe.TargetChecksumMatches, ProbeResult.NotConfirmed, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.Starting, 1, RecoveryProbe.TargetRunsJob, ProbeResult.Confirmed, MigrationStep.RunningOnTarget)]
    [InlineData(MigrationStep.Starting, 1, RecoveryProbe.TargetRunsJob, ProbeResult.NotConfirmed, MigrationStep.Starting)]
    [InlineData(MigrationStep.Starting, 1, RecoveryProbe.TargetRunsJob, ProbeResult.Unknown, MigrationStep.Starting)]
    [InlineData(MigrationStep.RollingBack, 1, RecoveryProbe.SourceRunsJob, ProbeResult.Confirmed, MigrationStep.RunningOnSource)]
    [InlineData(MigrationStep.RollingBack, 1, RecoveryProbe.SourceRunsJob, ProbeResult.NotConfirmed, MigrationStep.RollingBack)]
    [InlineData(MigrationStep.RunningOnTarget, 1, RecoveryProbe.None, ProbeResult.Unknown, MigrationStep.RunningOnTarget)]
    [InlineData(MigrationStep.RunningOnSource, 1, RecoveryProbe.None, ProbeResult.Unknown, MigrationStep.RunningOnSource)]
    [InlineData(MigrationStep.Failed, 1, RecoveryProbe.None, ProbeResult.Unknown, MigrationStep.Failed)]
    public void Recovery_after_controller_restart(MigrationStep persisted, int transfers, RecoveryProbe probe, ProbeResult result, MigrationStep next)
    {
        var plan = Machine().Recover(At(persisted, transfers));
        Assert.Equal(persisted, plan.PersistedStep);
        Assert.Equal(probe, plan.Probe);
        Assert.False(string.IsNullOrWhiteSpace(plan.Instructions));
        var resolved = MigrationStateMachine.ResolveRecovery(plan, result);
        Assert.Equal(next, resolved);
        if (resolved != persisted)
            Assert.True(MigrationStateMachine.CanTransition(persisted, resolved), $"{persisted} -> {resolved} must be allowed");
    }

    [Fact]
    public void Starting_recovery_never_starts_a_running_job_twice()
    {
        var plan = Machine().Recover(At(MigrationStep.Starting, 1));
        Assert.Equal(RecoveryProbe.TargetRunsJob, plan.Probe);
        Assert.Equal(MigrationStep.RunningOnTarget, plan.IfConfirmed);
        Assert.Contains("never runs twice", plan.Instructions);
    }

    [Fact]
    public void Bad_timeouts_name_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MigrationStateMachine(new MigrationTimeouts { Verifying = TimeSpan.Zero }));
        Assert.Contains("Verifying", ex.Message);
    }
}
