using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;

namespace GreenConsole.Agents.Carbon.Trace;

/// <summary>
/// The hourly 2023 trace held as compact arrays: one float per hour per zone and signal, plus an estimated flag.
/// 16 zones × 8,760 hours × (4 + 4 + 1) bytes ≈ 1.3 MB.
/// </summary>
internal sealed class CarbonTraceData
{
    private const string ExpectedHeader = "datetime_utc,zone_id,ci_direct,ci_lca,is_estimated";

    private readonly Dictionary<string, int> _zoneIndex;
    private readonly float[][] _direct;
    private readonly float[][] _lifeCycle;
    private readonly bool[][] _estimated;

    private CarbonTraceData(Dictionary<string, int> zoneIndex, float[][] direct, float[][] lifeCycle, bool[][] estimated, TimeSpan loadTime)
    {
        _zoneIndex = zoneIndex;
        _direct = direct;
        _lifeCycle = lifeCycle;
        _estimated = estimated;
        LoadTime = loadTime;
    }

    public IReadOnlyCollection<string> Zones => _zoneIndex.Keys;

    public TimeSpan LoadTime { get; }

    public bool HasZone(string zone) => _zoneIndex.ContainsKey(zone);

    /// <summary>(gCO2eq/kWh, is_estimated) for a zone and hour index 0..8759, or null for an unknown zone.</summary>
    public (float Value, bool Estimated)? Get(string zone, int hourIndex, bool direct)
    {
        if (!_zoneIndex.TryGetValue(zone, out var z))
        {
            return null;
        }

        var values = direct ? _direct[z] : _lifeCycle[z];
        return (values[hourIndex], _estimated[z][hourIndex]);
    }

    public static CarbonTraceData Load(string path)
    {
        var watch = Stopwatch.StartNew();
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Carbon trace file not found: {path} (setting Carbon:Trace:FilePath).", path);
        }

        var zoneIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var direct = new List<float[]>();
        var lifeCycle = new List<float[]>();
        var estimated = new List<bool[]>();
        var seen = new List<bool[]>();

        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var header = reader.ReadLine();
        if (!string.Equals(header?.Trim(), ExpectedHeader, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: expected header '{ExpectedHeader}', found '{header}'.");
        }

        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(',');
            if (parts.Length != 5)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: expected 5 columns, found {parts.Length}.");
            }

            if (!DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                throw new InvalidDataException($"{path} line {lineNumber}: datetime_utc '{parts[0]}' is not a date-time.");
            }

            var hour = (at - TraceTimeMapper.TraceYearStart).Ticks / TimeSpan.TicksPerHour;
            if (hour is < 0 or >= TraceTimeMapper.HoursPerYear || (at - TraceTimeMapper.TraceYearStart).Ticks % TimeSpan.TicksPerHour != 0)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: datetime_utc '{parts[0]}' is not a whole hour of 2023.");
            }

            if (!zoneIndex.TryGetValue(parts[1], out var z))
            {
                z = zoneIndex.Count;
                zoneIndex[parts[1]] = z;
                direct.Add(new float[TraceTimeMapper.HoursPerYear]);
                lifeCycle.Add(new float[TraceTimeMapper.HoursPerYear]);
                estimated.Add(new bool[TraceTimeMapper.HoursPerYear]);
                seen.Add(new bool[TraceTimeMapper.HoursPerYear]);
            }

            direct[z][hour] = ParseFloat(parts[2], "ci_direct", path, lineNumber);
            lifeCycle[z][hour] = ParseFloat(parts[3], "ci_lca", path, lineNumber);
            estimated[z][hour] = parts[4].Trim() switch
            {
                "1" or "true" or "True" => true,
                "0" or "false" or "False" => false,
                var other => throw new InvalidDataException($"{path} line {lineNumber}: is_estimated '{other}' is not 0 or 1."),
            };
            seen[z][hour] = true;
        }

        foreach (var (zone, z) in zoneIndex)
        {
            var missing = Array.IndexOf(seen[z], false);
            if (missing >= 0)
            {
                throw new InvalidDataException($"{path}: zone {zone} has no row for {TraceTimeMapper.TraceYearStart.AddHours(missing):O}; the trace must cover every hour of 2023.");
            }
        }

        return new CarbonTraceData(zoneIndex, [.. direct], [.. lifeCycle], [.. estimated], watch.Elapsed);
    }

    private static float ParseFloat(string text, string column, string path, int lineNumber) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new InvalidDataException($"{path} line {lineNumber}: {column} '{text}' is not a non-negative number.");
}
