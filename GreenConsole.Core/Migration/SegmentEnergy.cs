namespace GreenConsole.Core.Migration;

/// <summary>What the cloud's stored telemetry says about a stretch of time: IT energy, CO2 (PUE included), and how much of the stretch its samples cover.</summary>
public sealed record TelemetryCoverage(double Kwh, double Grams, double KwhWithoutIntensity, double CoveredSeconds);

/// <summary>A run segment's energy and CO2, with how much of it came from hardware samples and how much from the default power.</summary>
public sealed record SegmentEnergy(double ItKwh, double Grams, double CoveredSeconds, double DefaultSeconds)
{
    /// <summary>
    /// Charges a job's run on a cloud from [from, to): the telemetry's energy and CO2 where its samples cover the
    /// stretch, and <paramref name="defaultKw"/> for the rest, priced like the counterfactual (hourly intensity ×
    /// PUE). Energy the telemetry could not price (no intensity at the time) is priced the same way, so nothing it
    /// measured is dropped and nothing is charged twice.
    /// </summary>
    public static SegmentEnergy Combine(
        DateTimeOffset from, DateTimeOffset to, double defaultKw, double pue, IReadOnlyList<IntensityPoint> intensities, TelemetryCoverage? telemetry)
    {
        ArgumentNullException.ThrowIfNull(intensities);
        if (to < from)
            throw new ArgumentException($"The segment ends ({to:O}) before it starts ({from:O}).", nameof(to));
        if (!(defaultKw >= 0) || double.IsInfinity(defaultKw))
            throw new ArgumentException($"Default power must be a finite number >= 0 kW (was {defaultKw}).", nameof(defaultKw));

        var span = (to - from).TotalSeconds;
        var covered = Math.Clamp(telemetry?.CoveredSeconds ?? 0, 0, span);
        var uncovered = span - covered;
        var defaultKwh = defaultKw * uncovered / 3600;
        var unpriced = defaultKwh + Math.Max(0, telemetry?.KwhWithoutIntensity ?? 0);
        var priced = intensities.Count == 0 ? 0 : pue * MigrationAccounting.PriceKwh(intensities, from, to, unpriced);
        return new SegmentEnergy(
            Math.Max(0, telemetry?.Kwh ?? 0) + defaultKwh,
            Math.Max(0, telemetry?.Grams ?? 0) + priced,
            covered,
            uncovered);
    }
}
