using GreenConsole.Core.Simulation;

namespace GreenConsole.Tests.Core.Simulation;

public class HourlyTraceCsvTests
{
    private const string Header = "datetime_utc,zone_id,ci_direct,ci_lca,is_estimated";

    private static readonly string Good = string.Join('\n',
        Header,
        "2023-05-01T00:00:00Z,KR,400,450,0",
        "2023-05-01T00:00:00Z,DE,300,350,1",
        "2023-05-01T01:00:00Z,KR,410,460,0",
        "2023-05-01T01:00:00Z,DE,310,360,0",
        "2023-05-01T02:00:00Z,KR,420,470,0",
        "2023-05-01T02:00:00Z,DE,320,370,0");

    private static CarbonTrace Read(string text, HourlyTraceReadOptions? options = null) =>
        HourlyTraceCsv.Read(new StringReader(text), options ?? new HourlyTraceReadOptions());

    [Fact]
    public void Reads_interleaved_zones_into_a_dense_trace()
    {
        var trace = Read(Good);
        Assert.Equal(["KR", "DE"], trace.Zones);
        Assert.Equal(new DateTimeOffset(2023, 5, 1, 0, 0, 0, TimeSpan.Zero), trace.Start);
        Assert.Equal([450.0, 460, 470], trace.Intensity[0]);
        Assert.Equal([300.0, 310, 320], Read(Good, new HourlyTraceReadOptions { Signal = TraceSignal.Direct }).Intensity[1]);
    }

    [Fact]
    public void Window_and_zone_selection_keep_requested_order_and_hours()
    {
        var trace = Read(Good, new HourlyTraceReadOptions
        {
            Zones = ["de", "KR"],
            From = new DateTimeOffset(2023, 5, 1, 1, 0, 0, TimeSpan.Zero),
            ToExclusive = new DateTimeOffset(2023, 5, 1, 2, 0, 0, TimeSpan.Zero),
        });
        Assert.Equal(["DE", "KR"], trace.Zones);
        Assert.Equal(1, trace.Hours);
        Assert.Equal(new DateTimeOffset(2023, 5, 1, 1, 0, 0, TimeSpan.Zero), trace.Start);
        Assert.Equal(360.0, trace.Intensity[0][0]);
    }

    [Fact]
    public void Other_zones_are_skipped_for_the_shipped_file_but_rejected_in_uploads()
    {
        Assert.Equal(["KR"], Read(Good, new HourlyTraceReadOptions { Zones = ["KR"] }).Zones);
        var e = Assert.Throws<TraceFormatException>(() => Read(Good, new HourlyTraceReadOptions { Zones = ["KR"], OtherZonesAreErrors = true }));
        Assert.Equal(3, e.Line);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("'DE' is not one of the requested zones", e.Message);
    }

    [Theory]
    [InlineData(3, "2023-05-01 25:00,DE,300,350,1", "datetime_utc '2023-05-01 25:00' is not a date-time")]
    [InlineData(3, "2023-05-01T00:30:00Z,DE,300,350,1", "is not a whole hour")]
    [InlineData(3, "2023-05-01T00:00:00Z,D E!,300,350,1", "zone_id 'D E!' is not a zone id")]
    [InlineData(3, "2023-05-01T00:00:00Z,DE,abc,350,1", "ci_direct 'abc' is not a non-negative number")]
    [InlineData(3, "2023-05-01T00:00:00Z,DE,300,-5,1", "ci_lca '-5' is not a non-negative number")]
    [InlineData(3, "2023-05-01T00:00:00Z,DE,300,350,maybe", "is_estimated 'maybe' is not 0 or 1")]
    [InlineData(3, "2023-05-01T00:00:00Z,DE,300", "expected 5 columns")]
    public void A_bad_row_names_its_line(int line, string replacement, string message)
    {
        var lines = Good.Split('\n');
        lines[line - 1] = replacement;
        var e = Assert.Throws<TraceFormatException>(() => Read(string.Join('\n', lines)));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"line {line}: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_duplicate_hour_names_both_lines()
    {
        var text = Good + "\n2023-05-01T02:00:00Z,KR,420,470,0";
        var e = Assert.Throws<TraceFormatException>(() => Read(text));
        Assert.Equal(8, e.Line);
        Assert.Contains("second row for 2023-05-01T02:00Z (first on line 6)", e.Message);
    }

    [Fact]
    public void A_gap_names_the_line_after_it_and_the_missing_hours()
    {
        var lines = Good.Split('\n').ToList();
        lines.RemoveAt(3); // KR 01:00
        var e = Assert.Throws<TraceFormatException>(() => Read(string.Join('\n', lines)));
        Assert.Equal(5, e.Line);
        Assert.Contains("zone KR jumps from 2023-05-01T00:00Z (line 2) to 2023-05-01T02:00Z: 1 hour(s) missing", e.Message);
    }

    [Fact]
    public void Rows_out_of_time_order_are_rejected()
    {
        var text = Good + "\n2023-05-01T01:00:00Z,DE,1,1,0";
        var e = Assert.Throws<TraceFormatException>(() => Read(text));
        Assert.Equal(8, e.Line);
        Assert.Contains("must be in time order", e.Message);
    }

    [Fact]
    public void Zones_covering_different_hours_are_rejected()
    {
        var text = Good + "\n2023-05-01T03:00:00Z,KR,1,1,0";
        var e = Assert.Throws<TraceFormatException>(() => Read(text));
        Assert.Equal(7, e.Line);
        Assert.Contains("zone DE ends at 2023-05-01T02:00Z but zone KR at 2023-05-01T03:00Z", e.Message);
    }

    [Fact]
    public void Bad_header_missing_zone_empty_window_are_errors()
    {
        Assert.Equal(1, Assert.Throws<TraceFormatException>(() => Read("time,zone,value\n")).Line);
        Assert.Contains("no rows for zone(s) GB", Assert.Throws<TraceFormatException>(() => Read(Good, new HourlyTraceReadOptions { Zones = ["KR", "GB"] })).Message);
        Assert.Contains("falls in the window", Assert.Throws<TraceFormatException>(() => Read(Good, new HourlyTraceReadOptions { From = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) })).Message);
        Assert.Contains("no data rows", Assert.Throws<TraceFormatException>(() => Read(Header + "\n")).Message);
    }

    [Fact]
    public void The_shipped_2023_file_reads_as_16_full_zones()
    {
        var trace = Hourly2023TraceLoader.LifeCycle;
        Assert.Equal(16, trace.Zones.Count);
        Assert.Equal(8760, trace.Hours);
    }
}
