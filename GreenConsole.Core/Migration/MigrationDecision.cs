using System.Globalization;
using System.Text.Json.Serialization;

namespace GreenConsole.Core.Migration;

[JsonConverter(typeof(JsonStringEnumConverter<MigrationAction>))]
public enum MigrationAction
{
    /// <summary>Keep the job where it is (running, or paused if it is paused and not resumed).</summary>
    Stay,

    /// <summary>Move the job to <see cref="MigrationDecision.TargetCloudId"/>.</summary>
    Migrate,

    /// <summary>Checkpoint and pause the job on its current cloud (time shifting).</summary>
    Pause,

    /// <summary>Resume a paused job on its current cloud.</summary>
    Resume,
}

[JsonConverter(typeof(JsonStringEnumConverter<MigrationReason>))]
public enum MigrationReason
{
    /// <summary>The current cloud is at or below its threshold.</summary>
    BelowThreshold,

    /// <summary>No reading for the current cloud: nothing is moved on missing data.</summary>
    CurrentIntensityUnknown,

    /// <summary>The current cloud cannot be reached, so no checkpoint can be taken there; decide again later.</summary>
    CurrentUnreachable,

    /// <summary>Above threshold, but the job arrived too recently on this cloud.</summary>
    DwellTimeNotElapsed,

    /// <summary>Above threshold and no candidate passed; see the candidates' rejections.</summary>
    NoCandidate,

    /// <summary>As <see cref="NoCandidate"/>, and the job is paused until the grid is clean again.</summary>
    NoCandidatePausing,

    /// <summary>The best candidate saves enough net of the move's overhead.</summary>
    Migrate,

    /// <summary>A paused job stays paused: still above threshold and no candidate.</summary>
    StillAboveThreshold,

    /// <summary>A paused job resumes: its cloud is back below threshold minus the band.</summary>
    BackBelowThreshold,

    /// <summary>A paused job resumes (or a running one is not paused) because the deadline leaves no slack.</summary>
    DeadlineReached,
}

[JsonConverter(typeof(JsonStringEnumConverter<CandidateRejection>))]
public enum CandidateRejection
{
    None,
    Unreachable,
    Busy,
    IntensityUnknown,

    /// <summary>Not below its own threshold minus the hysteresis band.</summary>
    AboveThreshold,

    /// <summary>Expected net saving (after overhead) is below the minimum.</summary>
    SavingTooSmall,
}

/// <summary>One other cloud as weighed by the policy. Grams are over the planning window.</summary>
public sealed record CandidateScore
{
    public required string CloudId { get; init; }
    public double? IntensityGPerKwh { get; init; }
    public required double ThresholdGPerKwh { get; init; }
    public required double HysteresisGPerKwh { get; init; }
    public required CandidateRejection Rejection { get; init; }

    /// <summary>Expected grams over the window if the job goes there (run + overhead); null when not computed.</summary>
    public double? ExpectedMoveGrams { get; init; }

    public double? OverheadGrams { get; init; }
    public TimeSpan? Downtime { get; init; }
    public double? BandwidthBytesPerSecond { get; init; }

    /// <summary>Expected stay grams minus expected move grams; positive means the move is cleaner.</summary>
    public double? NetSavingGrams { get; init; }

    public bool Eligible => Rejection == CandidateRejection.None;
}

/// <summary>
/// The policy's answer, carrying its full inputs and every candidate's score so that the decision log can say
/// why a job did (or did not) move.
/// </summary>
public sealed record MigrationDecision
{
    public required MigrationAction Action { get; init; }
    public required MigrationReason Reason { get; init; }

    /// <summary>Set only for <see cref="MigrationAction.Migrate"/>.</summary>
    public string? TargetCloudId { get; init; }

    public required MigrationRequest Inputs { get; init; }

    /// <summary>Window over which stay and move were compared (zero when no comparison was needed).</summary>
    public TimeSpan Window { get; init; }

    /// <summary>Expected grams over the window if the job stays; null when not computed.</summary>
    public double? ExpectedStayGrams { get; init; }

    public IReadOnlyList<CandidateScore> Candidates { get; init; } = [];

    /// <summary>Human explanation, built on demand so the simulator's many calls do not pay for formatting.</summary>
    public string Explanation => Explain();

    private string Explain()
    {
        var ci = CultureInfo.InvariantCulture;
        var job = Inputs.Job;
        var current = FindCurrent();
        var here = current?.IntensityGPerKwh is { } v ? v.ToString("0.#", ci) : "unknown";
        var threshold = current is null ? "?" : current.ThresholdGPerKwh.ToString("0.#", ci);
        return Reason switch
        {
            MigrationReason.BelowThreshold =>
                $"Stay on {job.CurrentCloudId}: {here} g/kWh is at or below its threshold {threshold}.",
            MigrationReason.CurrentIntensityUnknown =>
                $"{(Action == MigrationAction.Resume ? "Resume" : "Stay")} on {job.CurrentCloudId}: no carbon reading for it, so nothing is decided on missing data.",
            MigrationReason.CurrentUnreachable =>
                $"Stay on {job.CurrentCloudId}: it is unreachable, so no checkpoint can be taken for a move.",
            MigrationReason.DwellTimeNotElapsed =>
                $"Stay on {job.CurrentCloudId}: {here} g/kWh is above threshold {threshold}, but the job arrived at {job.ArrivedOnCurrentAt:O} and the minimum dwell time has not elapsed.",
            MigrationReason.NoCandidate =>
                $"Stay on {job.CurrentCloudId}: {here} g/kWh is above threshold {threshold}, but no cloud qualifies ({RejectionSummary()}).",
            MigrationReason.NoCandidatePausing =>
                $"Pause on {job.CurrentCloudId}: {here} g/kWh is above threshold {threshold} and no cloud qualifies ({RejectionSummary()}).",
            MigrationReason.StillAboveThreshold =>
                $"Stay paused on {job.CurrentCloudId}: {here} g/kWh is not below threshold {threshold} minus the band, and no cloud qualifies ({RejectionSummary()}).",
            MigrationReason.BackBelowThreshold =>
                $"Resume on {job.CurrentCloudId}: {here} g/kWh is below threshold {threshold} minus the band.",
            MigrationReason.DeadlineReached =>
                $"{(Action == MigrationAction.Resume ? "Resume" : "Keep running")} on {job.CurrentCloudId}: pausing longer would miss the deadline {job.Deadline:O}.",
            MigrationReason.Migrate =>
                $"Migrate {job.CurrentCloudId} -> {TargetCloudId}: expected net saving {Candidates.FirstOrDefault(c => c.CloudId == TargetCloudId)?.NetSavingGrams?.ToString("0.#", ci)} g over {Window.TotalHours.ToString("0.##", ci)} h after the move's overhead.",
            _ => Reason.ToString(),
        };
    }

    private CloudState? FindCurrent()
    {
        foreach (var c in Inputs.Clouds)
            if (c.CloudId == Inputs.Job.CurrentCloudId)
                return c;
        return null;
    }

    private string RejectionSummary()
    {
        if (Candidates.Count == 0)
            return "no other cloud is known";
        var ci = CultureInfo.InvariantCulture;
        return string.Join("; ", Candidates.Select(c => c.Rejection switch
        {
            CandidateRejection.SavingTooSmall =>
                $"{c.CloudId}: saving too small ({c.NetSavingGrams?.ToString("0.#", ci)} g net)",
            CandidateRejection.AboveThreshold =>
                $"{c.CloudId}: {c.IntensityGPerKwh?.ToString("0.#", ci)} g/kWh not below {c.ThresholdGPerKwh.ToString("0.#", ci)} - {c.HysteresisGPerKwh.ToString("0.#", ci)}",
            _ => $"{c.CloudId}: {c.Rejection}",
        }));
    }
}
