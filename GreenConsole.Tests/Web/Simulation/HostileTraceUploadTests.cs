using System.Globalization;
using System.IO.Compression;
using System.Text;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Web.Simulation;

namespace GreenConsole.Tests.Web.Simulation;

/// <summary>
/// Uploads built to exhaust the server: many zones, a gzip bomb, a line without end. Each must be refused with a
/// message that says what was wrong, long before it costs memory in proportion to what it claims to hold.
/// </summary>
public class HostileTraceUploadTests
{
    private const long MiB = 1024 * 1024;

    private static SimulationViewModel CreateViewModel() => new(
        (_, _) => Task.FromResult(Hourly2023TraceLoader.LifeCycle),
        _ => Task.FromResult((IReadOnlyList<SimCloudSpec>)[]),
        new MigrationPolicyOptions());

    /// <summary>One row per zone, all in the same hour: the 1.36 MB file that once took the app to 3.41 GB.</summary>
    private static byte[] ManyZones(int zones)
    {
        var csv = new StringBuilder(HourlyTraceCsv.Header).Append('\n');
        for (var i = 0; i < zones; i++)
            csv.Append("2023-01-01T00:00:00Z,Z").Append(i.ToString(CultureInfo.InvariantCulture)).Append(",100,100,0\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    [Fact]
    public async Task Forty_thousand_zones_are_refused_at_the_zone_cap_and_keep_nothing()
    {
        var vm = CreateViewModel();
        await vm.InitializeAsync(CancellationToken.None);

        Assert.False(await vm.UploadAsync(new MemoryStream(ManyZones(40_000)), "zones.csv", CancellationToken.None));

        // The header is line 1 and zones 1..64 take lines 2..65, so the 65th zone is on line 66.
        Assert.Contains("line 66:", vm.Error, StringComparison.Ordinal);
        Assert.Contains($"at most {TraceInput.MaxUploadZones} zones", vm.Error, StringComparison.Ordinal);
        Assert.Null(vm.UploadedTrace);
        Assert.Equal(16, vm.AvailableZones.Count);
    }

    [Fact]
    public void Forty_thousand_zones_under_the_upload_caps_allocate_little()
    {
        using var upload = new MemoryStream(ManyZones(40_000));

        // Synchronous on purpose: the per-thread counter only sees this thread, and ReadAsync hops to the pool.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TraceFormatException>(() =>
            TraceInput.Read(upload, "zones.csv", TraceInput.UploadOptions(TraceSignal.LifeCycle), CancellationToken.None));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(66, e.Line);
        Assert.True(allocated < 64 * MiB, $"reading allocated {allocated / MiB} MiB");
    }

    [Fact]
    public void Forty_thousand_zones_without_a_zone_cap_no_longer_reserve_a_year_each()
    {
        // The shipped-file path has no zone cap; one row per zone must cost one value, not 8760.
        var text = Encoding.UTF8.GetString(ManyZones(40_000));
        using var reader = new StringReader(text);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var trace = HourlyTraceCsv.Read(reader, new HourlyTraceReadOptions());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(40_000, trace.Zones.Count);
        Assert.Equal(1, trace.Hours);
        Assert.True(allocated < 64 * MiB, $"reading allocated {allocated / MiB} MiB");
    }

    /// <summary>
    /// A header, one good row, then blank lines until <paramref name="decompressedBytes"/>, gzipped chunk by chunk so
    /// the test holds only the compressed bytes (well under a megabyte). Blank lines are what the parser accepts and
    /// skips, so nothing but the decompressed-bytes cap can stop the read; real rows would need millions of distinct
    /// hours and make the test slow.
    /// </summary>
    private static MemoryStream GzipBomb(long decompressedBytes)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var head = Encoding.ASCII.GetBytes(HourlyTraceCsv.Header + "\n2023-01-01T00:00:00Z,AA,100,100,0\n");
            gzip.Write(head);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            for (var i = 63; i < chunk.Length; i += 64)
                chunk[i] = (byte)'\n';
            for (long written = head.Length; written < decompressedBytes; written += chunk.Length)
                gzip.Write(chunk);
        }

        compressed.Position = 0;
        return compressed;
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_at_the_decompressed_cap()
    {
        using var bomb = GzipBomb(300 * MiB);
        Assert.True(bomb.Length < TraceInput.MaxUploadBytes, $"the bomb is {bomb.Length} bytes compressed");

        var e = await Assert.ThrowsAsync<TraceFormatException>(() =>
            TraceInput.ReadAsync(bomb, "bomb.csv.gz", TraceInput.UploadOptions(TraceSignal.LifeCycle), CancellationToken.None));

        Assert.Contains($"the decompressed trace passes {TraceInput.MaxDecompressedBytes / MiB} MiB", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, e.Line);
    }

    [Fact]
    public async Task A_gzip_bomb_upload_leaves_the_page_as_it_was()
    {
        var vm = CreateViewModel();
        await vm.InitializeAsync(CancellationToken.None);
        using var bomb = GzipBomb(300 * MiB);

        Assert.False(await vm.UploadAsync(bomb, "bomb.csv.gz", CancellationToken.None));

        Assert.Contains("the decompressed trace passes 256 MiB", vm.Error, StringComparison.Ordinal);
        Assert.Null(vm.UploadedTrace);
        Assert.Equal(16, vm.AvailableZones.Count);
    }

    [Fact]
    public async Task A_one_megabyte_line_is_refused_naming_the_line()
    {
        var vm = CreateViewModel();
        var csv = HourlyTraceCsv.Header + "\n" + new string('9', 1024 * 1024) + "\n";

        Assert.False(await vm.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "long.csv", CancellationToken.None));

        Assert.Contains($"line 2: line is longer than {TraceInput.MaxUploadLineLength} characters", vm.Error, StringComparison.Ordinal);
        Assert.Null(vm.UploadedTrace);
    }

    [Fact]
    public void A_one_megabyte_line_is_never_buffered_whole()
    {
        using var upload = new MemoryStream(Encoding.UTF8.GetBytes(HourlyTraceCsv.Header + "\n" + new string('9', 1024 * 1024)));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TraceFormatException>(() =>
            TraceInput.Read(upload, "long.csv", TraceInput.UploadOptions(TraceSignal.LifeCycle), CancellationToken.None));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2, e.Line);
        // The line as a string would be 2 MiB (UTF-16); the reader must give up after a buffer or two.
        Assert.True(allocated < 1 * MiB, $"reading allocated {allocated / 1024} KiB");
    }

    [Fact]
    public void A_header_longer_than_the_cap_is_line_one()
    {
        var text = HourlyTraceCsv.Header + new string(' ', 5000) + "\n2023-01-01T00:00:00Z,AA,1,1,0\n";
        var e = Assert.Throws<TraceFormatException>(() =>
            HourlyTraceCsv.Read(new StringReader(text), new HourlyTraceReadOptions { MaxLineLength = 4096 }));
        Assert.Equal(1, e.Line);
        Assert.Contains("line is longer than 4096 characters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_of_exactly_the_cap_is_accepted_and_one_more_character_is_not()
    {
        // Fields are trimmed, so trailing spaces pad a valid row to any length.
        var cap = HourlyTraceCsv.Header.Length;
        var atCap = "2023-01-01T00:00:00Z,AA,1,1,0".PadRight(cap);
        var options = new HourlyTraceReadOptions { MaxLineLength = cap };

        var trace = HourlyTraceCsv.Read(new StringReader(HourlyTraceCsv.Header + "\n" + atCap + "\n"), options);
        Assert.Equal(["AA"], trace.Zones);

        var e = Assert.Throws<TraceFormatException>(() =>
            HourlyTraceCsv.Read(new StringReader(HourlyTraceCsv.Header + "\n" + atCap + " \n"), options));
        Assert.Equal(2, e.Line);
        Assert.Contains($"line is longer than {cap} characters", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Every_line_break_reads_the_same_even_one_character_at_a_time(string lineBreak)
    {
        var rows = new[]
        {
            HourlyTraceCsv.Header,
            "2023-01-01T00:00:00Z,AA,100,110,0",
            "2023-01-01T00:00:00Z,BB,200,210,0",
            "",
            "2023-01-01T01:00:00Z,AA,101,111,0",
            "2023-01-01T01:00:00Z,BB,201,211,1",
        };
        // No break after the last row: the last line must still count.
        var text = string.Join(lineBreak, rows);
        var options = new HourlyTraceReadOptions { MaxLineLength = 64, MaxZones = 2 };

        var whole = HourlyTraceCsv.Read(new StringReader(text), options);
        var trickled = HourlyTraceCsv.Read(new TrickleReader(text), options);

        Assert.Equal(["AA", "BB"], whole.Zones);
        Assert.Equal([110.0, 111], whole.Intensity[0]);
        Assert.Equal([210.0, 211], whole.Intensity[1]);
        Assert.Equal(whole.Zones, trickled.Zones);
        Assert.Equal(whole.Intensity, trickled.Intensity);
    }

    [Fact]
    public async Task The_shipped_trace_still_reads_with_and_without_the_upload_caps()
    {
        var shipped = await TraceInput.LoadFileAsync(Hourly2023TraceLoader.Path2023, new HourlyTraceReadOptions(), CancellationToken.None);
        Assert.Equal(16, shipped.Zones.Count);
        Assert.Equal(8760, shipped.Hours);
        Assert.Equal(Hourly2023TraceLoader.LifeCycle.Intensity, shipped.Intensity);

        // The shipped file is also a fair upload: it passes every cap an upload has.
        await using var file = File.OpenRead(Hourly2023TraceLoader.Path2023);
        var uploaded = await TraceInput.ReadAsync(file, Path.GetFileName(Hourly2023TraceLoader.Path2023), TraceInput.UploadOptions(TraceSignal.LifeCycle), CancellationToken.None);
        Assert.Equal(shipped.Zones, uploaded.Zones);
        Assert.Equal(8760, uploaded.Hours);
    }

    [Fact]
    public async Task A_small_valid_multi_zone_upload_with_crlf_still_reads()
    {
        var vm = CreateViewModel();
        var lines = new List<string> { HourlyTraceCsv.Header };
        var start = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
        for (var h = 0; h < 24; h++)
        {
            var at = start.AddHours(h).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            foreach (var zone in new[] { "AA", "BB", "CC" })
                lines.Add($"{at},{zone},{100 + h},{200 + h},0");
        }

        var csv = string.Join("\r\n", lines) + "\r\n";
        Assert.True(await vm.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "small.csv", CancellationToken.None), vm.Error);

        Assert.Equal(["AA", "BB", "CC"], vm.AvailableZones);
        var uploaded = vm.UploadedTrace;
        Assert.NotNull(uploaded);
        Assert.Equal(24, uploaded.Hours);
        Assert.Equal(223.0, uploaded.Intensity[2][23]);
    }

    /// <summary>Hands out one character per read, so every line break lands on a buffer boundary.</summary>
    private sealed class TrickleReader(string text) : TextReader
    {
        private int _position;

        public override int Peek() => _position < text.Length ? text[_position] : -1;

        public override int Read() => _position < text.Length ? text[_position++] : -1;

        public override int Read(char[] buffer, int index, int count)
        {
            if (count == 0 || _position >= text.Length)
                return 0;
            buffer[index] = text[_position++];
            return 1;
        }

        public override int Read(Span<char> buffer)
        {
            if (buffer.IsEmpty || _position >= text.Length)
                return 0;
            buffer[0] = text[_position++];
            return 1;
        }
    }
}
