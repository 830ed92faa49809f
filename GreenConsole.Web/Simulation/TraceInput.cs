using System.Globalization;
using System.IO.Compression;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Web.Simulation;

/// <summary>
/// Where a what-if run's hours come from: the shipped 2023 file (Carbon:Trace:FilePath), any window of it, or a
/// user CSV in the same long format. Parsing is <see cref="HourlyTraceCsv"/>'s; this class only opens files and
/// streams. An upload is parsed in memory and never written anywhere, so a rejected one leaves nothing behind.
/// </summary>
public static class TraceInput
{
    /// <summary>
    /// Largest upload accepted (as sent, so compressed for a .gz): a year of 16 zones is about 7 MB uncompressed and
    /// 1.2 MB gzipped, so this leaves room for a plain CSV of a few dozen zones.
    /// </summary>
    public const long MaxUploadBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Most bytes any trace may expand to once decompressed (plain files count as they are). The upload cap alone
    /// does not bound a .gz: a few megabytes of gzip can inflate to gigabytes. The shipped file is about 6 MB.
    /// </summary>
    public const long MaxDecompressedBytes = 256L * 1024 * 1024;

    /// <summary>Most zones an upload may have; the page offers them as checkboxes, and the shipped file has 16.</summary>
    public const int MaxUploadZones = 64;

    /// <summary>Longest line of an upload; a valid row is about 50 characters.</summary>
    public const int MaxUploadLineLength = 4096;

    /// <summary>Read options for a user upload: the caps that keep a hostile file from taking the server's memory.</summary>
    public static HourlyTraceReadOptions UploadOptions(TraceSignal signal) => new()
    {
        Signal = signal,
        MaxZones = MaxUploadZones,
        MaxLineLength = MaxUploadLineLength,
    };

    /// <summary>The shipped trace path from settings, resolved against the app's base directory like the live replay does.</summary>
    public static string ShippedPath(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ShippedTrace.Resolve(configuration[ShippedTrace.FilePathKey] ?? ShippedTrace.DefaultFilePath, AppContext.BaseDirectory);
    }

    /// <summary>Reads a trace file (.gz or plain CSV). Format errors throw <see cref="TraceFormatException"/> (line named).</summary>
    public static async Task<CarbonTrace> LoadFileAsync(string path, HourlyTraceReadOptions options, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Trace file not found: {path}", path);
        await using var file = File.OpenRead(path);
        return await ReadAsync(file, path, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads an uploaded trace; gzip when <paramref name="name"/> ends in .gz.</summary>
    public static Task<CarbonTrace> ReadAsync(Stream stream, string name, HourlyTraceReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        // The parser is synchronous CPU work over a stream; run it off the caller's thread (a Blazor circuit or the CLI).
        return Task.Run(() => Read(stream, name, options, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// <see cref="ReadAsync"/> on the calling thread. Whatever the stream holds, at most
    /// <see cref="MaxDecompressedBytes"/> of it is read before a <see cref="TraceFormatException"/>.
    /// </summary>
    public static CarbonTrace Read(Stream stream, string name, HourlyTraceReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var gzip = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        Stream source = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        try
        {
            var what = gzip ? "the decompressed trace" : "the trace";
            using var capped = new CappedReadStream(source, MaxDecompressedBytes, $"{what} passes {MaxDecompressedBytes / (1024 * 1024)} MiB, the most a trace may hold.");
            using var reader = new StreamReader(capped, leaveOpen: true);
            return HourlyTraceCsv.Read(reader, options, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new TraceFormatException(0, $"{name} is not a readable gzip file: {e.Message}");
        }
        finally
        {
            if (!ReferenceEquals(source, stream))
                source.Dispose();
        }
    }

    /// <summary>
    /// Parses a window: <paramref name="from"/> is the first hour kept; <paramref name="to"/> given as a date
    /// (2023-12-31) includes that whole day, given as a date-time it is the exclusive end.
    /// </summary>
    public static (DateTimeOffset? From, DateTimeOffset? ToExclusive) ParseWindow(string? from, string? to)
    {
        DateTimeOffset? start = null, end = null;
        if (!string.IsNullOrWhiteSpace(from))
            start = ParseInstant(from, "--from", dateIsEndOfDay: false);
        if (!string.IsNullOrWhiteSpace(to))
            end = ParseInstant(to, "--to", dateIsEndOfDay: true);
        if (start is { } s && end is { } e && e <= s)
            throw new ArgumentException($"The window is empty: --to {to} is not after --from {from}.");
        return (start, end);
    }

    private static DateTimeOffset ParseInstant(string text, string name, bool dateIsEndOfDay)
    {
        var trimmed = text.Trim();
        if (DateOnly.TryParseExact(trimmed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var midnight = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return dateIsEndOfDay ? midnight.AddDays(1) : midnight;
        }

        if (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        throw new ArgumentException($"{name} '{text}' is not a date (2023-01-01) or an ISO 8601 date-time (2023-01-01T06:00Z).");
    }
}

/// <summary>
/// Read-only view of a stream that fails once more than a set number of bytes came through it. It counts what the
/// parser actually consumes, after decompression, which is what costs memory and time. The inner stream stays open:
/// its owner disposes it.
/// </summary>
internal sealed class CappedReadStream(Stream inner, long limit, string message) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int bytes)
    {
        _read += bytes;
        if (_read > limit)
            throw new TraceFormatException(0, message);
        return bytes;
    }
}

/// <summary>Cuts a loaded trace to a window, so one parsed file serves many runs.</summary>
public static class TraceWindow
{
    public static CarbonTrace Slice(CarbonTrace trace, DateTimeOffset? from, DateTimeOffset? toExclusive)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var first = from is { } f ? (int)Math.Max(0, Math.Ceiling((f - trace.Start).TotalHours)) : 0;
        var end = toExclusive is { } t ? (int)Math.Min(trace.Hours, Math.Ceiling((t - trace.Start).TotalHours)) : trace.Hours;
        if (end <= first)
            throw new ArgumentException(
                $"No hour of the trace ({trace.Start:yyyy-MM-dd HH:mm}Z + {trace.Hours} h) falls in the window {from:yyyy-MM-dd HH:mm} to {toExclusive:yyyy-MM-dd HH:mm}.");
        if (first == 0 && end == trace.Hours)
            return trace;
        return new CarbonTrace(trace.Start.AddHours(first), trace.Zones, trace.Intensity.Select(row => row[first..end]).ToArray());
    }
}
