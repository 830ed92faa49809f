using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Agents.Carbon.Trace;

/// <summary>
/// The hourly 2023 trace held as compact arrays: one float per hour per zone and signal, plus an estimated flag.
/// 16 zones × 8,760 hours × (4 + 4 + 1) bytes ≈ 1.3 MB.
/// </summary>
internal sealed class CarbonTraceData
{
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
        if (!string.Equals(header?.Trim(), HourlyTraceCsv.Header, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: expected header '{HourlyTraceCsv.Header}', found '{header}'.");
        }

        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            HourlyTraceRow row;
            try
            {
                row = HourlyTraceCsv.ParseRow(line, lineNumber);
            }
            catch (TraceFormatException e)
            {
                throw new InvalidDataException($"{path} {e.Message}", e);
            }

            var at = row.At;
            var hour = (at - TraceTimeMapper.TraceYearStart).Ticks / TimeSpan.TicksPerHour;
            if (hour is < 0 or >= TraceTimeMapper.HoursPerYear)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: datetime_utc '{at:O}' is not an hour of 2023.");
            }

            if (!zoneIndex.TryGetValue(row.Zone, out var z))
            {
                z = zoneIndex.Count;
                zoneIndex[row.Zone] = z;
                direct.Add(new float[TraceTimeMapper.HoursPerYear]);
                lifeCycle.Add(new float[TraceTimeMapper.HoursPerYear]);
                estimated.Add(new bool[TraceTimeMapper.HoursPerYear]);
                seen.Add(new bool[TraceTimeMapper.HoursPerYear]);
            }

            direct[z][hour] = (float)row.Direct;
            lifeCycle[z][hour] = (float)row.LifeCycle;
            estimated[z][hour] = row.Estimated;
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
}
