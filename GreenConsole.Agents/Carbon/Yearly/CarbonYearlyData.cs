using GreenConsole.Core.Clouds;
using System.Globalization;
using System.Text;

namespace GreenConsole.Agents.Carbon.Yearly;

/// <summary>One zone's yearly average.</summary>
internal sealed record YearlyZone(string ZoneId, string Country, string ZoneName, int Year, double Direct, double LifeCycle);

/// <summary>How a requested zone was matched to the yearly table.</summary>
internal sealed record YearlyMatch(string ZoneId, double Direct, double LifeCycle, int Year, string How);

/// <summary>
/// The Electricity Maps yearly table (columns: Datetime (UTC), Country, Zone name, Zone id, Carbon intensity
/// gCO₂eq/kWh (direct), Carbon intensity gCO₂eq/kWh (Life cycle), CFE%, RE%, Data source, Citation).
/// </summary>
internal sealed class CarbonYearlyData
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        // ISO 3166 has GB; operators often write UK.
        ["UK"] = "GB",
    };

    private readonly Dictionary<string, YearlyZone> _zones;

    private CarbonYearlyData(Dictionary<string, YearlyZone> zones) => _zones = zones;

    public int Count => _zones.Count;

    public static CarbonYearlyData Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Yearly carbon file not found: {path} (setting Carbon:Yearly:FilePath).", path);
        }

        var (records, error) = CsvRecordReader.Read(File.ReadAllText(path, Encoding.UTF8));
        if (error is not null)
        {
            throw new InvalidDataException($"{path}: {error}");
        }

        var header = records.Count > 0 ? records[0].Fields : [];
        if (header.Count < 6
            || !header[3].Contains("Zone id", StringComparison.OrdinalIgnoreCase)
            || !header[4].Contains("direct", StringComparison.OrdinalIgnoreCase)
            || !header[5].Contains("Life cycle", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: expected the Electricity Maps yearly header (Zone id in column 4, direct and Life cycle intensity in columns 5 and 6).");
        }

        var zones = new Dictionary<string, YearlyZone>(StringComparer.OrdinalIgnoreCase);
        foreach (var record in records.Skip(1))
        {
            var row = record.Line;
            var fields = record.Fields;
            if (fields.Count < 6)
            {
                throw new InvalidDataException($"{path} row {row}: expected at least 6 columns, found {fields.Count}.");
            }

            var zone = fields[3].Trim();
            if (zone.Length == 0)
            {
                throw new InvalidDataException($"{path} row {row}: Zone id is empty.");
            }

            var year = DateTime.TryParse(fields[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at.Year
                : throw new InvalidDataException($"{path} row {row}: Datetime (UTC) '{fields[0]}' is not a date.");
            zones[zone] = new YearlyZone(zone, fields[1], fields[2], year,
                Number(fields[4], "direct intensity", path, row), Number(fields[5], "life-cycle intensity", path, row));
        }

        return new CarbonYearlyData(zones);
    }

    /// <summary>
    /// Exact zone id; else a bare country code whose country has only sub-zones (US, CL, RU) as the unweighted
    /// mean of those sub-zones; else the parent of an unknown sub-zone (DE-XX → DE).
    /// </summary>
    public YearlyMatch? Find(string zone)
    {
        var key = Aliases.GetValueOrDefault(zone.Trim(), zone.Trim());
        if (_zones.TryGetValue(key, out var exact))
        {
            return new YearlyMatch(exact.ZoneId, exact.Direct, exact.LifeCycle, exact.Year, $"yearly average {exact.Year} for {exact.ZoneId} ({exact.ZoneName})");
        }

        var subZones = _zones.Values.Where(z => z.ZoneId.StartsWith(key + "-", StringComparison.OrdinalIgnoreCase)).ToList();
        if (subZones.Count > 0)
        {
            var year = subZones.Max(z => z.Year);
            return new YearlyMatch(key.ToUpperInvariant(), subZones.Average(z => z.Direct), subZones.Average(z => z.LifeCycle), year,
                $"yearly average {year}, unweighted mean of {subZones.Count} sub-zones of {key.ToUpperInvariant()} ({subZones[0].Country}); no national figure in the table");
        }

        var dash = key.LastIndexOf('-');
        return dash > 0 ? Find(key[..dash]) is { } parent ? parent with { How = parent.How + $"; {key} not in the table, used its parent zone" } : null : null;
    }

    private static double Number(string? text, string what, string path, int row) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new InvalidDataException($"{path} row {row}: {what} '{text}' is not a non-negative number.");
}
