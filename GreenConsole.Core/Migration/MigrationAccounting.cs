namespace GreenConsole.Core.Migration;

/// <summary>A stretch of a job's run on one cloud, as measured.</summary>
/// <param name="ItKwh">IT energy of the job over the stretch (before PUE).</param>
/// <param name="Grams">Emissions as accounted: IT kWh × the cloud's PUE × its intensity over the stretch.</param>
public sealed record RunSegment(string CloudId, DateTimeOffset From, DateTimeOffset To, double ItKwh, double Grams);

/// <summary>One move's own cost: the idle energy of both sides during its downtime (see <see cref="MigrationCostModel"/>).</summary>
/// <param name="Kwh">Idle energy at the meter (PUE included) of both sides.</param>
public sealed record MigrationOverhead(string FromCloudId, string ToCloudId, DateTimeOffset At, TimeSpan Downtime, double Kwh, double Grams)
{
    /// <summary>Builds the overhead record with the shared cost model.</summary>
    public static MigrationOverhead Compute(
        string fromCloudId, string toCloudId, DateTimeOffset at, TimeSpan downtime,
        double idleKwSource, double pueSource, double intensitySource,
        double idleKwTarget, double pueTarget, double intensityTarget)
    {
        var h = downtime.TotalHours;
        return new MigrationOverhead(
            fromCloudId, toCloudId, at, downtime,
            MigrationCostModel.OverheadKwh(h, idleKwSource, pueSource, idleKwTarget, pueTarget),
            MigrationCostModel.OverheadGrams(h, idleKwSource, pueSource, intensitySource, idleKwTarget, pueTarget, intensityTarget));
    }
}

/// <summary>Per-job carbon result: as run, had it stayed, and the difference.</summary>
public sealed record JobCarbonReport
{
    public required string FirstCloudId { get; init; }
    public required double ActualRunItKwh { get; init; }
    public required double ActualRunGrams { get; init; }
    public required double OverheadKwh { get; init; }
    public required double OverheadGrams { get; init; }

    /// <summary>Run plus every move's overhead.</summary>
    public required double ActualTotalGrams { get; init; }

    /// <summary>The same IT kWh over the same hours at the first cloud's intensities × its PUE, with no moves.</summary>
    public required double CounterfactualGrams { get; init; }

    /// <summary>Counterfactual minus actual total; negative when the moves cost more than they saved.</summary>
    public required double NetSavingGrams { get; init; }

    public required IReadOnlyList<MigrationOverhead> Migrations { get; init; }
}

/// <summary>Pure accounting of a migrated job against the "had it stayed on its first cloud" counterfactual.</summary>
/// <remarks>
/// The counterfactual spreads each segment's IT kWh evenly over the segment and prices every part at the first
/// cloud's intensity for that time (the latest hourly point at or before it; before the first point, the first
/// point) times the first cloud's PUE. It keeps the real hours: the few minutes of downtime that delayed the real
/// run are not removed from the counterfactual's calendar.
/// </remarks>
public static class MigrationAccounting
{
    public static JobCarbonReport Compute(
        string firstCloudId,
        double firstCloudPue,
        IReadOnlyList<IntensityPoint> firstCloudIntensities,
        IReadOnlyList<RunSegment> segments,
        IReadOnlyList<MigrationOverhead> migrations)
    {
        ArgumentNullException.ThrowIfNull(firstCloudIntensities);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(migrations);
        if (!(firstCloudPue >= 1) || double.IsInfinity(firstCloudPue))
            throw new ArgumentException($"PUE of first cloud '{firstCloudId}' must be a finite number >= 1 (was {firstCloudPue}).", nameof(firstCloudPue));
        if (firstCloudIntensities.Count == 0 && segments.Count > 0)
            throw new ArgumentException($"No intensities for first cloud '{firstCloudId}': the counterfactual cannot be priced.", nameof(firstCloudIntensities));
        for (var i = 1; i < firstCloudIntensities.Count; i++)
            if (firstCloudIntensities[i].HourStart < firstCloudIntensities[i - 1].HourStart)
                throw new ArgumentException($"Intensities of first cloud '{firstCloudId}' are not sorted (index {i}).", nameof(firstCloudIntensities));

        double runKwh = 0, runGrams = 0, counterfactual = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (s.To < s.From)
                throw new ArgumentException($"Segment {i} on '{s.CloudId}' ends ({s.To:O}) before it starts ({s.From:O}).", nameof(segments));
            if (!(s.ItKwh >= 0) || !(s.Grams >= 0))
                throw new ArgumentException($"Segment {i} on '{s.CloudId}' has negative or invalid kWh/grams.", nameof(segments));
            runKwh += s.ItKwh;
            runGrams += s.Grams;
            counterfactual += firstCloudPue * PriceKwh(firstCloudIntensities, s.From, s.To, s.ItKwh);
        }

        double overheadKwh = 0, overheadGrams = 0;
        foreach (var m in migrations)
        {
            overheadKwh += m.Kwh;
            overheadGrams += m.Grams;
        }

        var actual = runGrams + overheadGrams;
        return new JobCarbonReport
        {
            FirstCloudId = firstCloudId,
            ActualRunItKwh = runKwh,
            ActualRunGrams = runGrams,
            OverheadKwh = overheadKwh,
            OverheadGrams = overheadGrams,
            ActualTotalGrams = actual,
            CounterfactualGrams = counterfactual,
            NetSavingGrams = counterfactual - actual,
            Migrations = migrations,
        };
    }

    /// <summary>Grams for <paramref name="kwh"/> spread evenly over [from, to) at the given hourly intensities (no PUE).</summary>
    public static double PriceKwh(IReadOnlyList<IntensityPoint> intensities, DateTimeOffset from, DateTimeOffset to, double kwh)
    {
        if (kwh == 0)
            return 0;
        if (to <= from)
            return kwh * IntensityAt(intensities, from);
        var totalHours = (to - from).TotalHours;
        double grams = 0;
        var t = from;
        while (t < to)
        {
            var next = IntensityCurve.FloorToHour(t) + TimeSpan.FromHours(1);
            if (next > to)
                next = to;
            grams += kwh * ((next - t).TotalHours / totalHours) * IntensityAt(intensities, t);
            t = next;
        }

        return grams;
    }

    /// <summary>The latest point at or before <paramref name="t"/>; before the first point, the first point.</summary>
    public static double IntensityAt(IReadOnlyList<IntensityPoint> intensities, DateTimeOffset t)
    {
        int lo = 0, hi = intensities.Count - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (intensities[mid].HourStart <= t)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return intensities[found].GPerKwh;
    }
}
