using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Telemetry;

/// <summary>Bucket size asked of <see cref="TelemetryQueries.GetSeriesAsync"/>.</summary>
public enum SeriesResolution
{
    /// <summary>Raw up to 2 h, per minute up to 3 days, hourly beyond.</summary>
    Auto = 0,

    /// <summary>Stored rows as they are (raw where still raw, roll-ups where already rolled up).</summary>
    Raw = 1,
    Minute = 2,
    Hour = 3,
}

/// <summary>
/// One point of a stored series. Means are weighted by <see cref="Count"/> (raw samples covered); energy and CO2 are
/// sums over the bucket. <see cref="PowerQuality"/> and <see cref="IntensityQuality"/> are the worst in the bucket.
/// </summary>
public sealed record SeriesPoint(
    DateTimeOffset At,
    int Count,
    double? CpuUtilization,
    double? GpuUtilization,
    double? MemoryUsedBytes,
    double? PowerWatts,
    double? PowerMinWatts,
    double? PowerMaxWatts,
    double? CpuWatts,
    double? GpuWatts,
    double? RamWatts,
    DataQuality? PowerQuality,
    double Kwh,
    double Grams,
    double KwhWithoutIntensity,
    double? IntensityGramsPerKwh,
    DataQuality? IntensityQuality);

/// <summary>Energy and emissions of one cloud over a window.</summary>
public sealed record EmissionTotals(int CloudId, double Kwh, double Grams, double KwhWithoutIntensity, long Samples, double CoveredSeconds, double GapSeconds, DataQuality? WorstIntensityQuality);

/// <summary>
/// Read side of the telemetry time series for pages, reports and the API. Rows are selected by their time: a
/// roll-up belongs to the window its bucket start falls in, so windows not aligned to minutes (older than a day) or
/// hours (older than 30 days) are approximate at their edges.
/// </summary>
public sealed class TelemetryQueries(IDbContextFactory<GreenConsoleDbContext> contextFactory, ICarbonIntensityProvider carbon)
{
    public static TimeSpan? BucketSize(SeriesResolution resolution, DateTimeOffset from, DateTimeOffset to) => resolution switch
    {
        SeriesResolution.Raw => null,
        SeriesResolution.Minute => TimeSpan.FromMinutes(1),
        SeriesResolution.Hour => TimeSpan.FromHours(1),
        _ => (to - from) <= TimeSpan.FromHours(2) ? null : (to - from) <= TimeSpan.FromDays(3) ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1),
    };

    /// <summary>A cloud's hardware, power and emission series in [from, to), oldest first.</summary>
    public async Task<IReadOnlyList<SeriesPoint>> GetSeriesAsync(int cloudId, DateTimeOffset from, DateTimeOffset to, SeriesResolution resolution, CancellationToken cancellationToken)
    {
        var lo = TelemetrySql.ToMs(from);
        var hi = TelemetrySql.ToMs(to);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var hardware = await db.HardwareSamples.AsNoTracking().Where(r => r.CloudId == cloudId && r.AtMs >= lo && r.AtMs < hi).ToListAsync(cancellationToken).ConfigureAwait(false);
        var power = await db.PowerSamples.AsNoTracking().Where(r => r.CloudId == cloudId && r.AtMs >= lo && r.AtMs < hi).ToListAsync(cancellationToken).ConfigureAwait(false);
        var emission = await db.EmissionSamples.AsNoTracking().Where(r => r.CloudId == cloudId && r.AtMs >= lo && r.AtMs < hi).ToListAsync(cancellationToken).ConfigureAwait(false);

        var size = BucketSize(resolution, from, to);
        long Key(long atMs) => size is null ? atMs : atMs - (atMs % (long)size.Value.TotalMilliseconds);
        var keys = hardware.Select(r => Key(r.AtMs)).Concat(power.Select(r => Key(r.AtMs))).Concat(emission.Select(r => Key(r.AtMs))).Distinct().Order().ToList();
        var h = hardware.ToLookup(r => Key(r.AtMs));
        var p = power.ToLookup(r => Key(r.AtMs));
        var e = emission.ToLookup(r => Key(r.AtMs));
        return keys.Select(k => Combine(k, h[k].ToList(), p[k].ToList(), e[k].ToList())).ToList();
    }

    /// <summary>Energy and CO2 per cloud in [from, to) (all clouds, or one).</summary>
    public async Task<IReadOnlyList<EmissionTotals>> GetEmissionTotalsAsync(DateTimeOffset from, DateTimeOffset to, int? cloudId, CancellationToken cancellationToken)
    {
        var lo = TelemetrySql.ToMs(from);
        var hi = TelemetrySql.ToMs(to);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = db.EmissionSamples.AsNoTracking().Where(r => r.AtMs >= lo && r.AtMs < hi);
        if (cloudId is { } id)
        {
            rows = rows.Where(r => r.CloudId == id);
        }

        var totals = await rows.GroupBy(r => r.CloudId)
            .Select(g => new
            {
                CloudId = g.Key,
                Kwh = g.Sum(r => r.Kwh),
                Grams = g.Sum(r => r.Grams),
                Without = g.Sum(r => r.KwhWithoutIntensity),
                Samples = g.Sum(r => (long)r.Count),
                Covered = g.Sum(r => r.IntervalSeconds),
                Gap = g.Sum(r => r.GapSeconds),
                Worst = g.Max(r => (int?)r.IntensityQuality),
            })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return totals.OrderBy(t => t.CloudId)
            .Select(t => new EmissionTotals(t.CloudId, t.Kwh, t.Grams, t.Without, t.Samples, t.Covered, t.Gap, (DataQuality?)t.Worst))
            .ToList();
    }

    /// <summary>
    /// Hourly intensity of a zone in [from, to): the readings the app stored (what it actually accounted with) and,
    /// for hours it has none of, what the provider chain reports. Oldest first.
    /// </summary>
    public async Task<IReadOnlyList<CarbonIntensityReading>> GetCarbonHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(zone);
        var upper = zone.ToUpperInvariant();
        var lo = TelemetrySql.ToMs(EmissionsCalculator.HourStart(from));
        var hi = TelemetrySql.ToMs(to);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var stored = await db.CarbonReadings.AsNoTracking()
            .Where(r => r.Zone == upper && r.Signal == signal && r.AtMs >= lo && r.AtMs < hi)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var byHour = stored.ToDictionary(
            r => r.AtMs,
            r => new CarbonIntensityReading(r.Zone, TelemetrySql.FromMs(r.AtMs), r.GramsPerKwh, r.Signal, r.Quality, r.Source,
                r.AgeSeconds is { } age ? TimeSpan.FromSeconds(age) : null, r.SourceEstimated) { Note = r.Note });
        foreach (var reading in await carbon.GetHistoryAsync(upper, from, to, signal, cancellationToken).ConfigureAwait(false))
        {
            byHour.TryAdd(TelemetrySql.ToMs(EmissionsCalculator.HourStart(reading.At)), reading);
        }

        return byHour.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
    }

    private static SeriesPoint Combine(long key, List<HardwareSampleEntity> h, List<PowerSampleEntity> p, List<EmissionSampleEntity> e)
    {
        static double? Mean<T>(List<T> rows, Func<T, double?> value, Func<T, int> count)
        {
            var known = rows.Where(r => value(r) is not null).ToList();
            var weight = known.Sum(count);
            return weight == 0 ? null : known.Sum(r => value(r)!.Value * count(r)) / weight;
        }

        var count = Math.Max(Math.Max(h.Sum(r => r.Count), p.Sum(r => r.Count)), e.Sum(r => r.Count));
        return new SeriesPoint(
            TelemetrySql.FromMs(key),
            count,
            Mean(h, r => r.CpuUtilization, r => r.Count),
            Mean(h, r => r.GpuUtilization, r => r.Count),
            Mean(h, r => r.MemoryUsedBytes, r => r.Count),
            Mean(p, r => r.TotalWatts, r => r.Count),
            p.Count == 0 ? null : p.Min(r => r.TotalWattsMin),
            p.Count == 0 ? null : p.Max(r => r.TotalWattsMax),
            Mean(p, r => r.CpuWatts, r => r.Count),
            Mean(p, r => r.GpuWatts, r => r.Count),
            Mean(p, r => r.RamWatts, r => r.Count),
            p.Count == 0 ? null : p.Max(r => r.Quality),
            e.Sum(r => r.Kwh),
            e.Sum(r => r.Grams),
            e.Sum(r => r.KwhWithoutIntensity),
            Mean(e, r => r.IntensityGramsPerKwh, r => r.Count),
            e.Where(r => r.IntensityQuality is not null).Select(r => r.IntensityQuality).Max());
    }
}
