namespace GreenConsole.Core.Carbon;

/// <summary>One carbon-intensity figure for one zone and hour, with where it came from and how good it is.</summary>
/// <param name="Zone">Electricity Maps zone id (for example DE, US-CAL-CISO).</param>
/// <param name="At">The start of the hour the figure applies to (UTC).</param>
/// <param name="GramsPerKwh">gCO2eq per kWh.</param>
/// <param name="Signal">Direct or life-cycle emission factors.</param>
/// <param name="Quality">Measured, Estimated, Fallback or Stale.</param>
/// <param name="Source">Where it came from, for example "trace:electricitymaps-2023".</param>
/// <param name="Age">For stale values: how long ago the value was last obtained from its source.</param>
/// <param name="SourceEstimated">The source's own is_estimated/isEstimated flag.</param>
public sealed record CarbonIntensityReading(
    string Zone,
    DateTimeOffset At,
    double GramsPerKwh,
    CarbonSignal Signal,
    DataQuality Quality,
    string Source,
    TimeSpan? Age = null,
    bool SourceEstimated = false)
{
    /// <summary>Free-text note on how the figure was derived (for example "yearly average, mean of 12 sub-zones").</summary>
    public string? Note { get; init; }

    /// <summary>
    /// For a replayed value: the hour it was recorded in (for example an hour of 2023 replayed in 2026). A reading of
    /// a past year is not a measurement of now, and <see cref="CarbonProvenance.Label"/> says so.
    /// </summary>
    public DateTimeOffset? RecordedAt { get; init; }

    /// <summary>The same value re-served as stale, with its age.</summary>
    public CarbonIntensityReading AsStale(TimeSpan age) => this with { Quality = DataQuality.Stale, Age = age };
}
