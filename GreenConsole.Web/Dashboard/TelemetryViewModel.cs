using GreenConsole.Core.Carbon;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Web.Dashboard;

public sealed record ChartPoint(DateTime At, double Value);

public sealed record CloudSeries(int CloudId, string Name, IReadOnlyList<ChartPoint> Points);

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
                t?.Intensity?.GramsPerKwh, t?.Intensity?.Quality.ToString(), t?.Intensity?.Source,
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

    /// <summary>Intensity points whose value was not measured (stale, fallback or estimated), to mark them on the chart.</summary>
    public static IReadOnlyList<ChartPoint> NotMeasured(TelemetryStore store, IReadOnlyList<CloudSummary> clouds) =>
        clouds.SelectMany(c => Thin(store.History(c.Id)))
            .Where(p => p.IntensityGramsPerKwh is not null && p.IntensityQuality is not null and not DataQuality.Measured)
            .Select(p => new ChartPoint(p.At.LocalDateTime, p.IntensityGramsPerKwh!.Value))
            .ToList();

    private static IEnumerable<TelemetryPoint> Thin(IReadOnlyList<TelemetryPoint> points)
    {
        var stride = Math.Max(1, points.Count / MaxPoints);
        return points.Where((_, i) => i % stride == 0 || i == points.Count - 1);
    }
}
