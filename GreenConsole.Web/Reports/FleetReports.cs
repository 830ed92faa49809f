using System.Text;
using GreenConsole.Core.Carbon;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Web.Reports;

public sealed record CloudReportRow(
    int CloudId, string Name, string Host, int Port, string CountryCode, string Zone, double? ThresholdGPerKwh, double Pue,
    bool? Reachable, double? LatencyMs, string? HostKeyFingerprint,
    double? IntensityGPerKwh, string? IntensityQuality, string? IntensitySource,
    double? CpuUtilization, double? MemoryUsedBytes, double? MemoryTotalBytes, double? PowerWatts, string? PowerQuality,
    double CumulativeKwh, double CumulativeGrams, long Samples, long Failures);

public sealed record CarbonReportRow(
    int CloudId, string Name, string Zone, double Kwh, double Grams, double KwhWithoutIntensity,
    long Samples, double CoveredSeconds, double GapSeconds, string? WorstIntensityQuality);

/// <summary>The per-cloud and carbon/resource reports, shaped once for CSV, JSON and the Reports page.</summary>
public sealed class FleetReports(CloudRepository clouds, TelemetryStore telemetry, TelemetryQueries queries)
{
    public async Task<IReadOnlyList<CloudReportRow>> CloudsAsync(CancellationToken cancellationToken)
    {
        var rows = new List<CloudReportRow>();
        foreach (var c in await clouds.ListAsync(cancellationToken))
        {
            var t = telemetry.Get(c.Id);
            var p = t?.LatestPoint;
            rows.Add(new CloudReportRow(c.Id, c.DisplayName, c.Host, c.Port, c.CountryCode, c.Zone, c.ThresholdGPerKwh, c.Pue,
                t?.Reachable ?? c.Reachable, c.LatencyMs, c.HostKeyFingerprint,
                t?.Intensity?.GramsPerKwh, t?.Intensity is { } i ? CarbonProvenance.Label(i) : null, t?.Intensity?.Source,
                p?.CpuUtilization, p?.MemoryUsedBytes, p?.MemoryTotalBytes, p?.PowerWatts, p?.PowerQuality.ToString(),
                t?.CumulativeKwh ?? 0, t?.CumulativeGrams ?? 0, t?.Samples ?? 0, t?.Failures ?? 0));
        }
        return rows;
    }

    public async Task<IReadOnlyList<CarbonReportRow>> CarbonAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var names = (await clouds.ListAsync(cancellationToken)).ToDictionary(c => c.Id);
        var totals = await queries.GetEmissionTotalsAsync(from, to, null, cancellationToken);
        return totals.Select(t => new CarbonReportRow(t.CloudId,
                names.TryGetValue(t.CloudId, out var c) ? c.DisplayName : $"cloud {t.CloudId} (deleted)",
                names.TryGetValue(t.CloudId, out var z) ? z.Zone : "",
                t.Kwh, t.Grams, t.KwhWithoutIntensity, t.Samples, t.CoveredSeconds, t.GapSeconds, t.WorstIntensityQuality?.ToString()))
            .ToList();
    }

    /// <summary>
    /// Flat CSV of any report record: one header row from the property names, invariant culture, text defused
    /// against spreadsheet formulas (<see cref="CsvCell"/>).
    /// </summary>
    public static string ToCsv<T>(IEnumerable<T> rows)
    {
        var properties = typeof(T).GetProperties();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', properties.Select(p => p.Name)));
        foreach (var row in rows)
        {
            csv.AppendLine(string.Join(',', properties.Select(p => CsvCell.Format(p.GetValue(row), "yyyy-MM-ddTHH:mm:ssZ"))));
        }
        return csv.ToString();
    }
}
