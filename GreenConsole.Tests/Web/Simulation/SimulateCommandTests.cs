using System.Globalization;
using System.Text.Json;
using GreenConsole.Core.Simulation;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Cli;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Tests.Web.Simulation;

/// <summary>The <c>simulate</c> verb, in-process, over the shipped 2023 trace and small uploaded traces.</summary>
public sealed class SimulateCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-simulate-test-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private async Task<(int? Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliHost.TryRunAsync(
            [.. args, $"--Database:Path={Path.Combine(_folder.FullName, "db", "gc.db")}", $"--Ssh:DataDirectory={Path.Combine(_folder.FullName, "ssh")}",
                $"--Carbon:Trace:FilePath={TelemetryRepoPaths.HourlyTrace}", $"--Carbon:Yearly:FilePath={TelemetryRepoPaths.Yearly}"],
            output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    [Fact]
    public void Simulate_is_a_verb() => Assert.Contains("simulate", CliHost.Verbs);

    [Fact]
    public async Task Json_names_the_five_policies_with_totals_and_uses_median_thresholds_for_zones_without_one()
    {
        var (code, output, error) = await RunAsync("simulate", "--zones", "KR,DE,GB", "--job-hours", "6", "--power-kw", "0.4",
            "--thresholds", "KR=400", "--from", "2023-01-01", "--to", "2023-01-31", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        foreach (var name in new[] { "stay", "threshold-lowest", "greenconsole", "oracle", "time-shift" })
            Assert.True(root.GetProperty(name).GetProperty("total_gco2").GetDouble() > 0, name);
        var oracle = root.GetProperty("oracle").GetProperty("total_gco2").GetDouble();
        Assert.True(oracle <= root.GetProperty("greenconsole").GetProperty("total_gco2").GetDouble() + 1e-6);
        Assert.True(oracle <= root.GetProperty("stay").GetProperty("total_gco2").GetDouble() + 1e-6);
        Assert.Equal(31 * 24, root.GetProperty("trace_hours").GetInt32());
        Assert.Equal(31 * 24 - 12 + 1, root.GetProperty("jobs").GetInt32());

        var settings = root.GetProperty("cloud_settings");
        Assert.Equal(400, settings.GetProperty("KR").GetProperty("threshold_g_per_kwh").GetDouble());
        var full = Hourly2023TraceLoader.LifeCycle;
        var de = full.Intensity[full.IndexOf("DE")].Take(31 * 24);
        Assert.Equal(Median(de), settings.GetProperty("DE").GetProperty("threshold_g_per_kwh").GetDouble(), 9);
    }

    [Fact]
    public async Task Csv_prints_one_row_per_policy_and_direct_signal_changes_the_totals()
    {
        var (code, lca, error) = await RunAsync("simulate", "--zones", "DE,GB", "--from", "2023-06-01", "--to", "2023-06-07", "--csv");
        Assert.True(code == 0, error);
        var lines = lca.Trim().Split('\n');
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("policy,total_gco2,", lines[0], StringComparison.Ordinal);
        Assert.Equal(["stay", "threshold-lowest", "greenconsole", "oracle", "time-shift"], lines.Skip(1).Select(l => l.Split(',')[0]));

        var (code2, direct, _) = await RunAsync("simulate", "--zones", "DE,GB", "--from", "2023-06-01", "--to", "2023-06-07", "--csv", "--signal", "direct");
        Assert.Equal(0, code2);
        var stayLca = double.Parse(lines[1].Split(',')[1], CultureInfo.InvariantCulture);
        var stayDirect = double.Parse(direct.Trim().Split('\n')[1].Split(',')[1], CultureInfo.InvariantCulture);
        Assert.True(stayDirect < stayLca, $"direct {stayDirect} vs lca {stayLca}");
    }

    [Fact]
    public async Task An_uploaded_trace_is_simulated_and_its_errors_name_the_line()
    {
        var good = Path.Combine(_folder.FullName, "good.csv");
        var lines = new List<string> { HourlyTraceCsv.Header };
        var start = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
        for (var h = 0; h < 48; h++)
        {
            var at = start.AddHours(h).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            lines.Add($"{at},AA,{(h % 24 < 12 ? 500 : 100)},{(h % 24 < 12 ? 500 : 100)},0");
            lines.Add($"{at},BB,200,200,0");
        }

        await File.WriteAllLinesAsync(good, lines);
        var (code, output, error) = await RunAsync("simulate", "--trace", good, "--zones", "AA,BB", "--job-hours", "4", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(48 - 8 + 1, root.GetProperty("jobs").GetInt32());
        Assert.True(root.GetProperty("oracle").GetProperty("total_gco2").GetDouble() < root.GetProperty("stay").GetProperty("total_gco2").GetDouble());

        var gap = Path.Combine(_folder.FullName, "gap.csv");
        await File.WriteAllLinesAsync(gap, lines.Where((_, i) => i != 5));
        (code, output, error) = await RunAsync("simulate", "--trace", gap, "--zones", "AA,BB", "--json");
        Assert.Equal(SimulateCommand.Failed, code);
        Assert.Equal("", output);
        Assert.Contains("line 7: zone AA jumps", error);

        var foreign = Path.Combine(_folder.FullName, "foreign.csv");
        await File.WriteAllLinesAsync(foreign, lines);
        (code, _, error) = await RunAsync("simulate", "--trace", foreign, "--zones", "AA", "--json");
        Assert.Equal(SimulateCommand.Failed, code);
        Assert.Contains("line 3: zone_id 'BB' is not one of the requested zones", error);
    }

    [Theory]
    [InlineData("--zones", "KR,ZZ", "no rows for zone(s) ZZ")]
    [InlineData("--thresholds", "FR=3", "zone 'FR' is not simulated")]
    [InlineData("--thresholds", "KR=abc", "'KR=abc' is not ZONE=number")]
    [InlineData("--signal", "solar", "--signal 'solar' is unknown")]
    [InlineData("--from", "yesterday", "--from 'yesterday' is not a date")]
    [InlineData("--job-hours", "0", "at least 1 hour")]
    [InlineData("--job-hours", "5000", "needs 10000")]
    public async Task Bad_options_are_named(string option, string value, string message)
    {
        string[] args = option == "--zones" ? ["simulate", option, value] : ["simulate", "--zones", "KR,DE", option, value];
        var (code, _, error) = await RunAsync(args);
        Assert.Equal(SimulateCommand.Failed, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Registered_clouds_bring_their_thresholds_and_pue()
    {
        var (empty, _, error) = await RunAsync("simulate", "--clouds");
        Assert.Equal(SimulateCommand.Failed, empty);
        Assert.Contains("no cloud is registered", error);

        var csv = Path.Combine(_folder.FullName, "clouds.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name,Zone,Threshold,PUE",
            "127.0.0.1,a,pw-a,22,KR,Korea,KR,321,1.2",
            "127.0.0.2,b,pw-b,22,DE,Germany,DE,,1.5",
        ]);
        var (imported, _, importError) = await RunAsync("import-csv", csv);
        Assert.True(imported == 0, importError);

        var (code, output, err) = await RunAsync("simulate", "--clouds", "--from", "2023-02-01", "--to", "2023-02-03", "--json");
        Assert.True(code == 0, err);
        var settings = JsonDocument.Parse(output).RootElement.GetProperty("cloud_settings");
        var kr = settings.EnumerateObject().Single(p => p.Value.GetProperty("zone").GetString() == "KR").Value;
        var de = settings.EnumerateObject().Single(p => p.Value.GetProperty("zone").GetString() == "DE").Value;
        Assert.Equal(321, kr.GetProperty("threshold_g_per_kwh").GetDouble());
        Assert.Equal(1.2, kr.GetProperty("pue").GetDouble());
        Assert.Equal(1.5, de.GetProperty("pue").GetDouble());
        var full = Hourly2023TraceLoader.LifeCycle;
        Assert.Equal(Median(full.Intensity[full.IndexOf("DE")].Skip(31 * 24).Take(3 * 24)), de.GetProperty("threshold_g_per_kwh").GetDouble(), 9);
    }
}
