using System.Globalization;
using System.Text;

namespace GreenConsole.Core.Simulation;

/// <summary>Which column of the long-format trace feeds the simulation.</summary>
public enum TraceSignal
{
    /// <summary><c>ci_lca</c>: life-cycle intensity (the app's default signal).</summary>
    LifeCycle,

    /// <summary><c>ci_direct</c>: direct (operational) intensity.</summary>
    Direct,
}

/// <summary>One parsed row of <c>datetime_utc,zone_id,ci_direct,ci_lca,is_estimated</c>.</summary>
public readonly record struct HourlyTraceRow(int Line, DateTimeOffset At, string Zone, double Direct, double LifeCycle, bool Estimated);

/// <summary>A trace file that breaks the format; <see cref="Line"/> is 1-based (the header is line 1), 0 when no line is to blame.</summary>
public sealed class TraceFormatException(int line, string message) : FormatException(line > 0 ? $"line {line}: {message}" : message)
{
    public int Line { get; } = line;
}

/// <summary>What to read from a long-format hourly trace.</summary>
public sealed record HourlyTraceReadOptions
{
    public TraceSignal Signal { get; init; } = TraceSignal.LifeCycle;

    /// <summary>Zones to keep, in this order; null keeps every zone in the file, in order of first appearance.</summary>
    public IReadOnlyList<string>? Zones { get; init; }

    /// <summary>
    /// True for uploads: a row of a zone outside <see cref="Zones"/> is an error. False for the shipped file, whose
    /// other zones are skipped.
    /// </summary>
    public bool OtherZonesAreErrors { get; init; }

    /// <summary>First hour kept (inclusive); null = the file's first hour.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>End of the window (exclusive); null = after the file's last hour.</summary>
    public DateTimeOffset? ToExclusive { get; init; }

    /// <summary>
    /// Most distinct zones kept; a row of one more is an error. Null = no cap (the shipped file and the CLI, whose
    /// files the operator chose). Uploads set it because every zone costs memory for its whole series.
    /// </summary>
    public int? MaxZones { get; init; }

    /// <summary>
    /// Longest line accepted, in characters, not counting the line break. Null = no cap. Uploads set it so that a
    /// file without line breaks cannot make the reader buffer it whole.
    /// </summary>
    public int? MaxLineLength { get; init; }
}

/// <summary>
/// The long-format hourly trace (<c>datetime_utc,zone_id,ci_direct,ci_lca,is_estimated</c>): row rules shared by the
/// live replay provider and the simulator, and a strict reader into a dense <see cref="CarbonTrace"/>. Pure: it reads
/// from a <see cref="TextReader"/> the caller opened.
/// </summary>
public static class HourlyTraceCsv
{
    public const string Header = "datetime_utc,zone_id,ci_direct,ci_lca,is_estimated";

    /// <summary>Parses one data row; throws <see cref="TraceFormatException"/> naming the line and the field.</summary>
    public static HourlyTraceRow ParseRow(string text, int line)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',');
        if (parts.Length != 5)
            throw new TraceFormatException(line, $"expected 5 columns ({Header}), found {parts.Length}.");

        var stamp = parts[0].Trim();
        if (!DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            throw new TraceFormatException(line, $"datetime_utc '{stamp}' is not a date-time (use ISO 8601 UTC, e.g. 2023-01-01T00:00:00Z).");
        if (at.Ticks % TimeSpan.TicksPerHour != 0)
            throw new TraceFormatException(line, $"datetime_utc '{stamp}' is not a whole hour.");

        var zone = parts[1].Trim();
        if (!IsZoneId(zone))
            throw new TraceFormatException(line, $"zone_id '{zone}' is not a zone id (letters, digits and '-', e.g. US-CAL-CISO).");

        var direct = ParseIntensity(parts[2], "ci_direct", line);
        var lca = ParseIntensity(parts[3], "ci_lca", line);
        var estimated = parts[4].Trim() switch
        {
            "1" or "true" or "True" => true,
            "0" or "false" or "False" => false,
            var other => throw new TraceFormatException(line, $"is_estimated '{other}' is not 0 or 1."),
        };
        return new HourlyTraceRow(line, at, zone.ToUpperInvariant(), direct, lca, estimated);
    }

    public static bool IsZoneId(string zone)
    {
        if (string.IsNullOrEmpty(zone) || zone.Length > 40 || !char.IsAsciiLetter(zone[0]))
            return false;
        foreach (var c in zone)
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                return false;
        return true;
    }

    /// <summary>
    /// Reads a whole trace. Every zone must have exactly one row per hour over the same span, in time order (the
    /// rows of different zones may interleave). Throws <see cref="TraceFormatException"/> at the first problem, naming
    /// its line: bad header, bad timestamp, malformed or unrequested zone, duplicate hour, gap, non-numeric value.
    /// </summary>
    public static CarbonTrace Read(TextReader reader, HourlyTraceReadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxZones is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxZones, "MaxZones must be positive.");
        if (options.MaxLineLength is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLineLength, "MaxLineLength must be positive.");
        var lines = new LineReader(reader, options.MaxLineLength);
        var header = lines.ReadLine(1);
        if (header is null)
            throw new TraceFormatException(1, "the file is empty; expected the header " + Header + ".");
        if (!string.Equals(header.Trim().TrimStart('\uFEFF'), Header, StringComparison.Ordinal))
            throw new TraceFormatException(1, $"expected the header '{Header}', found '{header}'.");

        HashSet<string>? wanted = options.Zones is null ? null : new HashSet<string>(options.Zones.Select(z => z.Trim().ToUpperInvariant()), StringComparer.Ordinal);
        var series = new Dictionary<string, ZoneSeries>(StringComparer.Ordinal);
        var order = new List<string>();
        var line = 1;
        while (lines.ReadLine(line + 1) is { } text)
        {
            line++;
            if ((line & 0xFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (string.IsNullOrWhiteSpace(text))
                continue;
            var row = ParseRow(text, line);
            if (wanted is not null && !wanted.Contains(row.Zone))
            {
                if (options.OtherZonesAreErrors)
                    throw new TraceFormatException(line, $"zone_id '{row.Zone}' is not one of the requested zones ({string.Join(", ", options.Zones!)}).");
                continue;
            }

            if (!series.TryGetValue(row.Zone, out var s))
            {
                if (options.MaxZones is { } maxZones && series.Count >= maxZones)
                    throw new TraceFormatException(line, $"zone_id '{row.Zone}' would be zone {series.Count + 1}; a trace may have at most {maxZones} zones.");
                s = new ZoneSeries();
                series[row.Zone] = s;
                order.Add(row.Zone);
            }

            if (s.Last is { } last)
            {
                if (row.At == last)
                    throw new TraceFormatException(line, $"zone {row.Zone} has a second row for {row.At:yyyy-MM-dd'T'HH:mm'Z'} (first on line {s.LastLine}).");
                if (row.At < last)
                    throw new TraceFormatException(line, $"zone {row.Zone}: {row.At:yyyy-MM-dd'T'HH:mm'Z'} comes after {last:yyyy-MM-dd'T'HH:mm'Z'} (line {s.LastLine}); rows of a zone must be in time order.");
                if (row.At != last.AddHours(1))
                    throw new TraceFormatException(line, $"zone {row.Zone} jumps from {last:yyyy-MM-dd'T'HH:mm'Z'} (line {s.LastLine}) to {row.At:yyyy-MM-dd'T'HH:mm'Z'}: {(row.At - last).TotalHours - 1:0} hour(s) missing.");
            }
            else
            {
                s.First = row.At;
                s.FirstLine = line;
            }

            s.Last = row.At;
            s.LastLine = line;
            if ((options.From is null || row.At >= options.From) && (options.ToExclusive is null || row.At < options.ToExclusive))
                s.Values.Add(options.Signal == TraceSignal.Direct ? row.Direct : row.LifeCycle);
        }

        if (wanted is not null)
        {
            var missing = options.Zones!.Select(z => z.Trim().ToUpperInvariant()).Where(z => !series.ContainsKey(z)).ToList();
            if (missing.Count > 0)
                throw new TraceFormatException(0, $"the trace has no rows for zone(s) {string.Join(", ", missing)}.");
        }

        if (order.Count == 0)
            throw new TraceFormatException(0, "the trace has no data rows.");

        var reference = series[order[0]];
        foreach (var zone in order.Skip(1))
        {
            var s = series[zone];
            if (s.First != reference.First)
                throw new TraceFormatException(s.FirstLine, $"zone {zone} starts at {s.First:yyyy-MM-dd'T'HH:mm'Z'} but zone {order[0]} at {reference.First:yyyy-MM-dd'T'HH:mm'Z'}; every zone must cover the same hours.");
            if (s.Last != reference.Last)
                throw new TraceFormatException(s.LastLine, $"zone {zone} ends at {s.Last:yyyy-MM-dd'T'HH:mm'Z'} but zone {order[0]} at {reference.Last:yyyy-MM-dd'T'HH:mm'Z'}; every zone must cover the same hours.");
        }

        var start = options.From is { } from && from > reference.First!.Value ? from : reference.First!.Value;
        if (reference.Values.Count == 0)
            throw new TraceFormatException(0, $"no hour of the trace ({reference.First:yyyy-MM-dd'T'HH:mm'Z'} to {reference.Last:yyyy-MM-dd'T'HH:mm'Z'}) falls in the window {options.From:yyyy-MM-dd'T'HH:mm'Z'} to {options.ToExclusive:yyyy-MM-dd'T'HH:mm'Z'}.");

        var zones = wanted is null ? order : options.Zones!.Select(z => z.Trim().ToUpperInvariant()).Distinct().ToList();
        return new CarbonTrace(start, zones, zones.Select(z => series[z].Values.ToArray()).ToArray());
    }

    private static double ParseIntensity(string text, string column, int line)
    {
        var trimmed = text.Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && double.IsFinite(value)
            ? value
            : throw new TraceFormatException(line, $"{column} '{trimmed}' is not a non-negative number.");
    }

    private sealed class ZoneSeries
    {
        public DateTimeOffset? First;
        public int FirstLine;
        public DateTimeOffset? Last;
        public int LastLine;
        // No initial capacity: reserving a year per zone let a file of many one-row zones claim gigabytes.
        public readonly List<double> Values = [];
    }

    /// <summary>
    /// <see cref="TextReader.ReadLine"/> with a length cap: it has to fail while the line is still being read, since
    /// ReadLine itself would first buffer a line of any length. Line breaks are \n, \r\n or \r, as for ReadLine.
    /// </summary>
    private sealed class LineReader(TextReader reader, int? maxLength)
    {
        private readonly char[] _buffer = new char[16 * 1024];
        private readonly StringBuilder _partial = new();
        private int _position;
        private int _length;

        // A \r ended the last line; a \n right after it belongs to the same break, even across a buffer refill.
        private bool _skipLineFeed;

        /// <summary>The next line, or null at the end; <paramref name="line"/> is only for the error message.</summary>
        public string? ReadLine(int line)
        {
            _partial.Clear();
            var any = false;
            while (true)
            {
                if (_position == _length)
                {
                    _length = reader.Read(_buffer, 0, _buffer.Length);
                    _position = 0;
                    if (_length == 0)
                        return any ? _partial.ToString() : null;
                }

                if (_skipLineFeed)
                {
                    _skipLineFeed = false;
                    if (_buffer[_position] == '\n')
                    {
                        _position++;
                        continue;
                    }
                }

                any = true;
                ReadOnlySpan<char> span = _buffer.AsSpan(_position, _length - _position);
                var end = span.IndexOfAny('\r', '\n');
                var taken = end < 0 ? span.Length : end;
                if (maxLength is { } max && _partial.Length + taken > max)
                    throw new TraceFormatException(line, $"line is longer than {max} characters.");
                if (end < 0)
                {
                    _partial.Append(span);
                    _position = _length;
                    continue;
                }

                _position += end + 1;
                _skipLineFeed = span[end] == '\r';
                return _partial.Length == 0 ? new string(span[..end]) : _partial.Append(span[..end]).ToString();
            }
        }
    }
}
