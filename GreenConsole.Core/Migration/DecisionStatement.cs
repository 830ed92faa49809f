using System.Globalization;

namespace GreenConsole.Core.Migration;

/// <summary>
/// What a person reads on the job page about the latest decision: why the job is where it is, and when that may
/// change, in words instead of a reason code.
/// </summary>
public static class DecisionStatement
{
    public static string Of(MigrationDecision decision, MigrationPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(options);
        var job = decision.Inputs.Job;
        var here = decision.Inputs.Clouds.FirstOrDefault(c => c.CloudId == job.CurrentCloudId);
        var grid = here?.IntensityGPerKwh is { } g
            ? string.Create(CultureInfo.InvariantCulture, $"{g:0} g/kWh against its threshold of {here.ThresholdGPerKwh:0}")
            : "no reading";
        return decision.Reason switch
        {
            MigrationReason.BelowThreshold => $"Staying: this cloud's grid is clean enough ({grid}).",
            MigrationReason.CurrentIntensityUnknown => "Staying: there is no carbon reading for this cloud now, and nothing is moved on missing data. The next reading decides.",
            MigrationReason.CurrentUnreachable => "Staying: this cloud cannot be reached, so no checkpoint can be taken. It is decided again once it answers.",
            MigrationReason.DwellTimeNotElapsed => string.Create(CultureInfo.InvariantCulture,
                $"Staying although the grid is dirty ({grid}): the job arrived at {job.ArrivedOnCurrentAt:HH:mm} UTC, and a move is considered only after {options.MinimumDwell.TotalMinutes:0} min on a cloud, from {job.ArrivedOnCurrentAt + options.MinimumDwell:HH:mm} UTC."),
            MigrationReason.NoCandidate => $"Staying although the grid is dirty ({grid}): no other cloud would save carbon after the cost of the move. {Rejections(decision)}",
            MigrationReason.NoCandidatePausing => $"Pausing: the grid is dirty ({grid}) and no other cloud would save carbon; the job waits for a cleaner hour. {Rejections(decision)}",
            MigrationReason.Migrate => $"Moving: {decision.Explanation}",
            MigrationReason.StillAboveThreshold => $"Waiting: the grid is still dirty ({grid}) and no other cloud is better.",
            MigrationReason.BackBelowThreshold => $"Resuming: the grid is clean again ({grid}).",
            MigrationReason.DeadlineReached => "Running: the job's deadline leaves no time to wait for a cleaner hour.",
            _ => decision.Explanation,
        };
    }

    private static string Rejections(MigrationDecision decision)
    {
        var rejected = decision.Candidates.Where(c => c.Rejection != CandidateRejection.None).Select(c => $"{c.CloudId}: {c.Rejection}").ToList();
        return rejected.Count == 0 ? "" : "Other clouds: " + string.Join(", ", rejected) + ".";
    }
}
