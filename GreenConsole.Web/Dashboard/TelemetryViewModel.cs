using GreenConsole.Core.Carbon;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Web.Dashboard;

public sealed record ChartPoint(DateTime At, double Value);

public sealed record CloudSeries(int CloudId, string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>A zone's intensity line: clouds in one zone share the grid, so the chart draws it once.</summary>
public sealed record ZoneSeries(string Zone, IReadOnlyList<ChartPoint> Points);

/// <summary>Everything the Telemetry charts draw, built at most every Dashboard:ChartRefreshSeconds.</summary>
public sealed record TelemetryChartData(
    IReadOnlyList<ZoneSeries> Intensity,
    IReadOnlyList<ZoneSeries> Thresholds,
    IReadOnlyList<ChartPoint> NotMeasured,
    IReadOnlyList<CloudSeries> Emissions,
    IReadOnlyList<CloudSeries> Cpu,
    IReadOnlyList<CloudSeries> Gpu,
    IReadOnlyList<CloudSeries> Power,
    IReadOnlyList<CloudSeries> Memory,
    int ChartedClouds,
    int TotalClouds)
{
    public static TelemetryChartData Empty { get; } = new([], [], [], [], [], [], [], [], 0, 0);
}

/// <summary>One row of the per-cloud table, every figure with its provenance.</summary>
public sealed record CloudTelemetryRow(
    int CloudId, string Name, string Zone, double? Threshold,
    double? Intensity, string? IntensityQuality, string? IntensitySource,
    double? CpuPercent, string? CpuModel, int? Cores,
    string Gpus, double? MemoryUsedGb, double? MemoryTotalGb,
    double? PowerWatts, string? PowerDetail, string? PowerQuality,
    double Kwh, double Grams, bool? Reachable, string? LastError);

/// <summary>
/// Shapes the live telemetry store into what the Telemetry page draws, so the page stays markup and this logic can
/// be tested without a browser. Series are thinned to a few hundred points.
/// </summary>
public static class TelemetryViewModel
{
    public const int MaxPoints = 240;

    public static IReadOnlyList<CloudTelemetryRow> Rows(TelemetryStore store, IReadOnlyList<CloudSummary> clouds)
    {
        var rows = new List<CloudTelemetryRow>(clouds.Count);
        foreach (var cloud in clouds)
        {
            var t = store.Get(cloud.Id);
            var sample = t?.LatestSample;
            var power = t?.LatestPower;
            var gpus = sample is { Gpus.HasValue: true }
                ? string.Join(", ", sample.Gpus.Value.Select(g => g.Name.HasValue ? g.Name.Value : $"GPU {g.Index}"))
                : sample?.Gpus.MissingReason ?? "";
            var detail = power is null ? null : string.Join(" · ", new[]
            {
                power.Cpu is { } c ? $"CPU {c.Watts:0.0} W ({c.Quality}: {c.Method})" : null,
                power.Gpu is { } g ? $"GPU {g.Watts:0.0} W ({g.Quality}: {g.Method})" : null,
                power.Ram is { } r ? $"RAM {r.Watts:0.0} W ({r.Quality}: {r.Method})" : null,
            }.Where(s => s is not null));
            rows.Add(new CloudTelemetryRow(
                cloud.Id, cloud.DisplayName, cloud.Zone, cloud.ThresholdGPerKwh,
                t?.Intensity?.GramsPerKwh, t?.Intensity is { } i ? CarbonProvenance.Label(i) : null, t?.Intensity is { } d ? CarbonProvenance.Detail(d) : null,
                sample is { CpuUtilization.HasValue: true } ? sample.CpuUtilization.Value * 100 : null,
                sample is { CpuModel.HasValue: true } ? sample.CpuModel.Value : null,
                sample is { LogicalCpus.HasValue: true } ? sample.LogicalCpus.Value : null,
                gpus,
                sample is { MemoryUsedBytes.HasValue: true } ? sample.MemoryUsedBytes.Value / 1e9 : null,
                sample is { MemoryTotalBytes.HasValue: true } ? sample.MemoryTotalBytes.Value / 1e9 : null,
                power?.TotalW, detail, power?.Quality.ToString(),
                t?.CumulativeKwh ?? 0, t?.CumulativeGrams ?? 0, t?.Reachable, t?.LastError));
        }
        return rows;
    }

    public static IReadOnlyList<CloudSeries> Series(TelemetryStore store, IReadOnlyList<CloudSummary> clouds, Func<TelemetryPoint, double?> value)
    {
        var result = new List<CloudSeries>(clouds.Count);
        foreach (var cloud in clouds)
        {
            var points = Thin(store.History(cloud.Id))
                .Select(p => value(p) is { } v ? new ChartPoint(p.At.LocalDateTime, v) : null)
                .OfType<ChartPoint>()
                .ToList();
            result.Add(new CloudSeries(cloud.Id, cloud.DisplayName, points));
        }
        return result;
    }

    /// <summary>
    /// The clouds charted until the user picks others: those drawing the most power now (where the work and the
    /// emissions are), then by id, so the choice is stable for clouds without samples.
    /// </summary>
    public static IReadOnlyList<int> DefaultChartSelection(TelemetryStore store, IReadOnlyList<CloudSummary> clouds, int max) =>
        clouds.Select(c => (c.Id, Watts: store.Get(c.Id)?.LatestPoint?.PowerWatts ?? -1))
            .OrderByDescending(x => x.Watts)
            .ThenBy(x => x.Id)
            .Take(Math.Max(0, max))
            .Select(x => x.Id)
            .OrderBy(id => id)
            .ToList();

    /// <summary>
    /// The chart data: one intensity line per zone (from the zone's cloud with the longest history), one dashed line
    /// per distinct threshold in a zone, and per-cloud lines only for <paramref name="charted"/>.
    /// </summary>
    public static TelemetryChartData Charts(TelemetryStore store, IReadOnlyList<CloudSummary> clouds, IReadOnlyCollection<int> charted)
    {
        var intensity = new List<ZoneSeries>();
        var thresholds = new List<ZoneSeries>();
        var notMeasured = new List<ChartPoint>();
        foreach (var zone in clouds.GroupBy(c => c.Zone, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var history = zone.Select(c => Thin(store.History(c.Id)).ToList()).MaxBy(h => h.Count) ?? [];
            var points = history.Where(p => p.IntensityGramsPerKwh is not null)
                .Select(p => new ChartPoint(p.At.LocalDateTime, p.IntensityGramsPerKwh!.Value))
                .ToList();
            if (points.Count == 0)
            {
                continue;
            }

            intensity.Add(new ZoneSeries(zone.Key, points));
            notMeasured.AddRange(history
                .Where(p => p.IntensityGramsPerKwh is not null && p.IntensityQuality is not null and not DataQuality.Measured)
                .Select(p => new ChartPoint(p.At.LocalDateTime, p.IntensityGramsPerKwh!.Value)));
            foreach (var threshold in zone.Select(c => c.ThresholdGPerKwh).OfType<double>().Distinct().Order())
            {
                thresholds.Add(new ZoneSeries($"{zone.Key} threshold {threshold:0}",
                    [new ChartPoint(points[0].At, threshold), new ChartPoint(points[^1].At, threshold)]));
            }
        }

        var chartedClouds = clouds.Where(c => charted.Contains(c.Id)).ToList();
        return new TelemetryChartData(
            intensity,
            thresholds,
            notMeasured,
            Series(store, chartedClouds, p => p.Grams),
            Series(store, chartedClouds, p => p.CpuUtilization * 100),
            Series(store, chartedClouds, p => p.GpuUtilization * 100).Where(s => s.Points.Count > 0).ToList(),
            Series(store, chartedClouds, p => p.PowerWatts),
            Series(store, chartedClouds, p => p.MemoryTotalBytes > 0 ? 100 * p.MemoryUsedBytes / p.MemoryTotalBytes : null),
            chartedClouds.Count,
            clouds.Count);
    }

    private static IEnumerable<TelemetryPoint> Thin(IReadOnlyList<TelemetryPoint> points)
    {
        var stride = Math.Max(1, points.Count / MaxPoints);
        return points.Where((_, i) => i % stride == 0 || i == points.Count - 1);
    }
}
