namespace GreenConsole.Core.Migration;

/// <summary>
/// Decides, for one job at one moment, whether it stays, moves, pauses or resumes. Pure and deterministic:
/// the same <see cref="MigrationRequest"/> always yields the same <see cref="MigrationDecision"/>. The live
/// controller and the what-if simulator call this same class.
/// </summary>
/// <remarks>
/// Rules, in order, for a running job:
/// <list type="number">
/// <item>No reading for the current cloud → <see cref="MigrationAction.Stay"/> (<see cref="MigrationReason.CurrentIntensityUnknown"/>).</item>
/// <item>Current cloud unreachable → Stay (<see cref="MigrationReason.CurrentUnreachable"/>): no checkpoint can be taken.</item>
/// <item>Current intensity ≤ its threshold → Stay (<see cref="MigrationReason.BelowThreshold"/>). The trigger is strictly "above threshold".</item>
/// <item>Less than <see cref="MigrationPolicyOptions.MinimumDwell"/> since the job arrived → Stay
/// (<see cref="MigrationReason.DwellTimeNotElapsed"/>); this stops ping-pong between two clouds.</item>
/// <item>Every other cloud is scored. A candidate must be reachable, not busy, have a reading, and be strictly below
/// its own threshold minus its hysteresis band (so a move does not land on a cloud that is about to trigger itself).
/// Over the window W = min(remaining, <see cref="MigrationPolicyOptions.PlanningHorizon"/>) the expected grams if
/// the job stays are compared with the expected grams if it moves (run on the target over W plus the move's
/// overhead, see <see cref="MigrationCostModel"/>). Intensities follow <see cref="IntensityCurve"/> (forecast where
/// given, else persistence). The net saving must reach <see cref="MigrationPolicyOptions.MinimumNetSavingGrams"/>.
/// The candidate with the largest net saving wins (ties: first in the cloud list) → <see cref="MigrationAction.Migrate"/>.</item>
/// <item>No candidate: <see cref="NoCandidateMode.KeepRunning"/> → Stay (<see cref="MigrationReason.NoCandidate"/>);
/// <see cref="NoCandidateMode.PauseAndWait"/> → <see cref="MigrationAction.Pause"/> unless the deadline leaves no slack.</item>
/// </list>
/// For a paused job the action names the desired state: Pause means "stay paused". It resumes when its reading is
/// missing (a job is never left stopped on missing data), when the deadline leaves no slack, or when its cloud is
/// at or below threshold minus the band; otherwise it may migrate under the same candidate rules, else stays paused.
/// </remarks>
public sealed class MigrationPolicy
{
    public MigrationPolicy(MigrationPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    public MigrationPolicyOptions Options { get; }

    public MigrationDecision Decide(MigrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = request.Job;
        Validate(request);
        var current = FindCloud(request.Clouds, job.CurrentCloudId)
            ?? throw new ArgumentException($"Job '{job.JobId}': its current cloud '{job.CurrentCloudId}' is not in the cloud list.", nameof(request));

        return job.IsPaused ? DecidePaused(request, current) : DecideRunning(request, current);
    }

    private MigrationDecision DecideRunning(MigrationRequest request, CloudState current)
    {
        var job = request.Job;
        if (current.IntensityGPerKwh is not { } here)
            return Simple(request, MigrationAction.Stay, MigrationReason.CurrentIntensityUnknown);
        if (!current.Reachable)
            return Simple(request, MigrationAction.Stay, MigrationReason.CurrentUnreachable);
        if (here <= current.ThresholdGPerKwh)
            return Simple(request, MigrationAction.Stay, MigrationReason.BelowThreshold);
        if (job.ArrivedByMove && request.Now - job.ArrivedOnCurrentAt < Options.MinimumDwell)
            return Simple(request, MigrationAction.Stay, MigrationReason.DwellTimeNotElapsed);

        var evaluation = Evaluate(request, current, here);
        if (evaluation.Best is { } best)
            return evaluation.Decision(request, MigrationAction.Migrate, MigrationReason.Migrate, best);
        if (Options.NoCandidateMode == NoCandidateMode.PauseAndWait)
        {
            return DeadlineLeavesNoSlack(request)
                ? evaluation.Decision(request, MigrationAction.Stay, MigrationReason.DeadlineReached, null)
                : evaluation.Decision(request, MigrationAction.Pause, MigrationReason.NoCandidatePausing, null);
        }

        return evaluation.Decision(request, MigrationAction.Stay, MigrationReason.NoCandidate, null);
    }

    private MigrationDecision DecidePaused(MigrationRequest request, CloudState current)
    {
        var job = request.Job;
        if (current.IntensityGPerKwh is not { } here)
            return Simple(request, MigrationAction.Resume, MigrationReason.CurrentIntensityUnknown);
        if (DeadlineLeavesNoSlack(request))
            return Simple(request, MigrationAction.Resume, MigrationReason.DeadlineReached);
        if (here <= current.ThresholdGPerKwh - Band(current))
            return Simple(request, MigrationAction.Resume, MigrationReason.BackBelowThreshold);
        if (!current.Reachable)
            return Simple(request, MigrationAction.Pause, MigrationReason.CurrentUnreachable);
        if (job.ArrivedByMove && request.Now - job.ArrivedOnCurrentAt < Options.MinimumDwell)
            return Simple(request, MigrationAction.Pause, MigrationReason.DwellTimeNotElapsed);

        var evaluation = Evaluate(request, current, here);
        return evaluation.Best is { } best
            ? evaluation.Decision(request, MigrationAction.Migrate, MigrationReason.Migrate, best)
            : evaluation.Decision(request, MigrationAction.Pause, MigrationReason.StillAboveThreshold, null);
    }

    private static bool DeadlineLeavesNoSlack(MigrationRequest request) =>
        request.Job.Deadline is { } deadline && request.Now + request.Job.ExpectedRemaining >= deadline;

    private double Band(CloudState cloud) => cloud.HysteresisGPerKwh ?? Options.HysteresisGPerKwh;

    private Evaluation Evaluate(MigrationRequest request, CloudState current, double here)
    {
        var job = request.Job;
        var window = job.ExpectedRemaining < Options.PlanningHorizon ? job.ExpectedRemaining : Options.PlanningHorizon;
        if (window < TimeSpan.Zero)
            window = TimeSpan.Zero;
        var stayGrams = job.PowerOn(current.CloudId) * current.Pue
            * IntensityCurve.IntegrateGramHoursPerKwh(request.Now, window, here, current.Forecast, current.CloudId);
        var idleSource = job.IdlePowerOn(current.CloudId, Options.IdlePowerFraction);

        var clouds = request.Clouds;
        var scores = new CandidateScore[clouds.Count - 1];
        var k = 0;
        CandidateScore? best = null;
        foreach (var cloud in clouds)
        {
            if (ReferenceEquals(cloud, current) || cloud.CloudId == current.CloudId)
                continue;
            var band = Band(cloud);
            var rejection = !cloud.Reachable ? CandidateRejection.Unreachable
                : cloud.Busy ? CandidateRejection.Busy
                : cloud.IntensityGPerKwh is null ? CandidateRejection.IntensityUnknown
                : cloud.IntensityGPerKwh.Value >= cloud.ThresholdGPerKwh - band ? CandidateRejection.AboveThreshold
                : CandidateRejection.None;

            CandidateScore score;
            if (cloud.IntensityGPerKwh is { } there)
            {
                var bandwidth = Bandwidth(request, current.CloudId, cloud.CloudId);
                var downtime = MigrationCostModel.Downtime(job.CheckpointBytes, bandwidth, job.RestartTime);
                var overhead = MigrationCostModel.OverheadGrams(
                    downtime.TotalHours,
                    idleSource, current.Pue, here,
                    job.IdlePowerOn(cloud.CloudId, Options.IdlePowerFraction), cloud.Pue, there);
                var move = overhead + job.PowerOn(cloud.CloudId) * cloud.Pue
                    * IntensityCurve.IntegrateGramHoursPerKwh(request.Now, window, there, cloud.Forecast, cloud.CloudId);
                var net = stayGrams - move;
                if (rejection == CandidateRejection.None && (net < Options.MinimumNetSavingGrams || net <= 0))
                    rejection = CandidateRejection.SavingTooSmall;
                score = new CandidateScore
                {
                    CloudId = cloud.CloudId,
                    IntensityGPerKwh = there,
                    ThresholdGPerKwh = cloud.ThresholdGPerKwh,
                    HysteresisGPerKwh = band,
                    Rejection = rejection,
                    ExpectedMoveGrams = move,
                    OverheadGrams = overhead,
                    Downtime = downtime,
                    BandwidthBytesPerSecond = bandwidth,
                    NetSavingGrams = net,
                };
            }
            else
            {
                score = new CandidateScore
                {
                    CloudId = cloud.CloudId,
                    ThresholdGPerKwh = cloud.ThresholdGPerKwh,
                    HysteresisGPerKwh = band,
                    Rejection = rejection,
                };
            }

            if (k == scores.Length)
                throw new ArgumentException($"Cloud id '{current.CloudId}' appears more than once in the cloud list.", nameof(request));
            scores[k++] = score;
            if (score.Eligible && (best is null || score.NetSavingGrams > best.NetSavingGrams))
                best = score;
        }

        if (k != scores.Length)
            throw new ArgumentException($"Cloud id '{current.CloudId}' appears more than once in the cloud list.", nameof(request));
        return new Evaluation(window, stayGrams, scores, best);
    }

    private double Bandwidth(MigrationRequest request, string from, string to)
    {
        if (request.MeasuredBandwidth is { } measured && measured.TryGetValue(new CloudPair(from, to), out var bw))
        {
            if (!(bw > 0) || double.IsInfinity(bw))
                throw new ArgumentException($"Measured bandwidth {from} -> {to} must be a positive number of bytes/s (was {bw}).", nameof(request));
            return bw;
        }

        return Options.DefaultBandwidthBytesPerSecond;
    }

    private static MigrationDecision Simple(MigrationRequest request, MigrationAction action, MigrationReason reason) =>
        new() { Action = action, Reason = reason, Inputs = request };

    private static CloudState? FindCloud(IReadOnlyList<CloudState> clouds, string id)
    {
        for (var i = 0; i < clouds.Count; i++)
            if (clouds[i].CloudId == id)
                return clouds[i];
        return null;
    }

    private static void Validate(MigrationRequest request)
    {
        var job = request.Job ?? throw new ArgumentException("Request has no job.", nameof(request));
        if (request.Clouds is null || request.Clouds.Count == 0)
            throw new ArgumentException($"Job '{job.JobId}': the cloud list is empty.", nameof(request));
        if (!(job.PowerKw >= 0) || double.IsInfinity(job.PowerKw))
            throw new ArgumentException($"Job '{job.JobId}': {nameof(job.PowerKw)} must be a finite number >= 0 (was {job.PowerKw}).", nameof(request));
        if (job.IdlePowerKw is { } idle && (!(idle >= 0) || double.IsInfinity(idle)))
            throw new ArgumentException($"Job '{job.JobId}': {nameof(job.IdlePowerKw)} must be a finite number >= 0 (was {idle}).", nameof(request));
        if (job.ExpectedRemaining < TimeSpan.Zero)
            throw new ArgumentException($"Job '{job.JobId}': {nameof(job.ExpectedRemaining)} must not be negative (was {job.ExpectedRemaining}).", nameof(request));
        if (job.CheckpointBytes < 0)
            throw new ArgumentException($"Job '{job.JobId}': {nameof(job.CheckpointBytes)} must not be negative (was {job.CheckpointBytes}).", nameof(request));
        if (job.RestartTime < TimeSpan.Zero)
            throw new ArgumentException($"Job '{job.JobId}': {nameof(job.RestartTime)} must not be negative (was {job.RestartTime}).", nameof(request));
    }

    private sealed record Evaluation(TimeSpan Window, double StayGrams, CandidateScore[] Scores, CandidateScore? Best)
    {
        public MigrationDecision Decision(MigrationRequest request, MigrationAction action, MigrationReason reason, CandidateScore? target) =>
            new()
            {
                Action = action,
                Reason = reason,
                TargetCloudId = target?.CloudId,
                Inputs = request,
                Window = Window,
                ExpectedStayGrams = StayGrams,
                Candidates = Scores,
            };
    }
}
