using System.Text.Json;
using GreenConsole.Agents.Carbon.Trace;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Cli;

namespace GreenConsole.Tests.Web.Telemetry;

public sealed class CarbonCliTests
{
    private static async Task<(int? Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliHost.TryRunAsync(
            [.. args, $"--Carbon:Trace:FilePath={TelemetryRepoPaths.HourlyTrace}", $"--Carbon:Yearly:FilePath={TelemetryRepoPaths.Yearly}"],
            output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static float TraceValue(string zone, DateTimeOffset at, bool direct)
    {
        var hour = (int)(at - new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalHours;
        return CarbonTraceData.Load(TelemetryRepoPaths.HourlyTrace).Get(zone, hour, direct)!.Value.Value;
    }

    [Fact]
    public void Carbon_is_a_verb()
    {
        Assert.Contains("carbon", CliHost.Verbs);
    }

    [Theory]
    [InlineData("lifecycle", false)]
    [InlineData("direct", true)]
    public async Task Json_gives_the_trace_value_of_that_hour_with_its_provenance(string signal, bool direct)
    {
        var at = new DateTimeOffset(2023, 6, 1, 12, 0, 0, TimeSpan.Zero);

        var (code, output, error) = await RunAsync("carbon", "--zone", "KR", "--at", "2023-06-01T12:00Z", "--signal", signal, "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("KR", json.GetProperty("zone").GetString());
        Assert.Equal(TraceValue("KR", at, direct), json.GetProperty("gramsPerKwh").GetDouble(), 3);
        Assert.Equal(direct ? "Direct" : "LifeCycle", json.GetProperty("signal").GetString());
        Assert.Equal("trace:electricitymaps-2023", json.GetProperty("source").GetString());
        Assert.Contains(json.GetProperty("quality").GetString(), new[] { "Measured", "Estimated" });
        Assert.Equal("replay of 2023-06-01 12:00 UTC", json.GetProperty("note").GetString());
        Assert.Equal(at, json.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(["trace", "yearly"], json.GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task A_2023_value_replayed_in_2026_is_labelled_replayed_not_measured()
    {
        var (code, output, error) = await RunAsync("carbon", "--zone", "DE", "--at", "2026-06-01T12:00Z", "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        var quality = json.GetProperty("quality").GetString();
        Assert.True(quality is "Replayed (2023)" or "Estimated, replayed (2023)", quality);
        Assert.Equal(new DateTimeOffset(2023, 6, 1, 12, 0, 0, TimeSpan.Zero), json.GetProperty("recordedAt").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero), json.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(TraceValue("DE", new DateTimeOffset(2023, 6, 1, 12, 0, 0, TimeSpan.Zero), direct: false), json.GetProperty("gramsPerKwh").GetDouble(), 3);
    }

    [Fact]
    public async Task Text_output_names_intensity_signal_source_and_provenance()
    {
        var (code, output, _) = await RunAsync("carbon", "--zone", "de", "--at", "2023-01-15T03:30Z");

        Assert.Equal(0, code);
        var expected = TraceValue("DE", new DateTimeOffset(2023, 1, 15, 3, 0, 0, TimeSpan.Zero), direct: false);
        Assert.Contains($"intensity:  {expected.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} gCO2eq/kWh", output, StringComparison.Ordinal);
        Assert.Contains("signal:     lifecycle", output, StringComparison.Ordinal);
        Assert.Contains("source:     trace:electricitymaps-2023", output, StringComparison.Ordinal);
        Assert.Contains("provenance: ", output, StringComparison.Ordinal);
        Assert.Contains("at:         2023-01-15T03:00Z (asked for 2023-01-15T03:30Z)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zone_only_in_the_yearly_table_falls_back_with_that_provenance()
    {
        var (code, output, error) = await RunAsync("carbon", "--zone", "PL", "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("Fallback", json.GetProperty("quality").GetString());
        Assert.StartsWith("yearly:", json.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--zone", "XX-NOWHERE", "no carbon source knows zone 'XX-NOWHERE'")]
    [InlineData("--zone", "KR", "--at", "yesterday", "--at 'yesterday' is not a date-time")]
    [InlineData("--zone", "KR", "--signal", "green", "--signal 'green' is unknown")]
    public async Task Bad_input_exits_1_with_a_clear_message(params string[] argsAndMessage)
    {
        var (code, _, error) = await RunAsync(["carbon", .. argsAndMessage[..^1]]);

        Assert.Equal(1, code);
        Assert.Contains(argsAndMessage[^1], error, StringComparison.Ordinal);
    }
}
