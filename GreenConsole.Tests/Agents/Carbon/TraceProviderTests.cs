using System.Globalization;
using System.IO.Compression;
using GreenConsole.Agents.Carbon.Trace;
using GreenConsole.Core.Carbon;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Carbon;

public class TraceProviderTests
{
    /// <summary>The shipped file read independently of the code under test: (zone, 2023 hour) → (direct, lca, estimated).</summary>
    private static readonly Lazy<Dictionary<(string, DateTime), (double Direct, double Lca, bool Estimated)>> Shipped = new(() =>
    {
        var rows = new Dictionary<(string, DateTime), (double, double, bool)>();
        using var gz = new GZipStream(File.OpenRead(TelemetryRepoPaths.HourlyTrace), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            var at = DateTime.ParseExact(f[0], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            rows[(f[1], at)] = (double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture), f[4] == "1");
        }

        return rows;
    });

    private static TraceCarbonIntensityProvider Provider(TimeProvider clock, CarbonTraceOptions? options = null)
    {
        options ??= new CarbonTraceOptions();
        options.FilePath = TelemetryRepoPaths.HourlyTrace;
        return new TraceCarbonIntensityProvider(Options.Create(options), clock, NullLogger<TraceCarbonIntensityProvider>.Instance);
    }

    [Theory]
    [InlineData("DE", "2025-06-15T13:27:00Z", "2023-06-15T13:00:00Z")]
    [InlineData("GB", "2026-01-01T00:00:00Z", "2023-01-01T00:00:00Z")]
    [InlineData("US-CAL-CISO", "2025-12-31T23:59:59Z", "2023-12-31T23:00:00Z")]
    [InlineData("ZA", "2025-03-26T07:05:00Z", "2023-03-26T07:00:00Z")]
    [InlineData("IN-WE", "2025-08-01T12:00:00Z", "2023-08-01T12:00:00Z")]
    [InlineData("JP-TK", "2025-10-10T04:30:00Z", "2023-10-10T04:00:00Z")]
    [InlineData("KR", "2024-02-29T05:10:00Z", "2023-02-28T05:00:00Z")] // leap day replays Feb 28
    public async Task Replay_equals_the_shipped_file(string zone, string now, string traceHour)
    {
        var clock = new TelemetryTestClock(DateTimeOffset.Parse(now, CultureInfo.InvariantCulture));
        var provider = Provider(clock);
        var expected = Shipped.Value[(zone, DateTime.Parse(traceHour, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal))];

        var lca = await provider.GetCurrentAsync(zone, CarbonSignal.LifeCycle, CancellationToken.None);
        var direct = await provider.GetCurrentAsync(zone, CarbonSignal.Direct, CancellationToken.None);

        Assert.Equal(expected.Lca, lca!.GramsPerKwh, 2);
        Assert.Equal(expected.Direct, direct!.GramsPerKwh, 2);
        Assert.Equal(expected.Estimated, lca.SourceEstimated);
        Assert.Equal(expected.Estimated ? DataQuality.Estimated : DataQuality.Measured, lca.Quality);
        Assert.Equal("trace:electricitymaps-2023", lca.Source);
        var real = clock.GetUtcNow();
        Assert.Equal(new DateTimeOffset(real.Year, real.Month, real.Day, real.Hour, 0, 0, TimeSpan.Zero), lca.At);
    }

    [Theory]
    [InlineData("IN-WE")]
    [InlineData("JP-TK")]
    public async Task Zones_estimated_all_year_are_labelled_estimated(string zone)
    {
        var provider = Provider(new TelemetryTestClock(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        var day = await provider.GetHistoryAsync(zone, new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), CarbonSignal.LifeCycle, CancellationToken.None);
        var now = await provider.GetCurrentAsync(zone, CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(24, day.Count);
        Assert.All(day, r => Assert.True(r.SourceEstimated && r.Quality == DataQuality.Estimated));
        Assert.True(now!.SourceEstimated);
        Assert.Equal(DataQuality.Estimated, now.Quality);
    }

    [Fact]
    public async Task SpeedUp_replays_one_trace_hour_per_real_minute_from_FixedStart()
    {
        var start = new DateTimeOffset(2025, 5, 5, 10, 0, 0, TimeSpan.Zero);
        var clock = new TelemetryTestClock(start);
        var provider = Provider(clock, new CarbonTraceOptions { Mode = TraceTimeMode.FixedStart, FixedStart = new DateTimeOffset(2023, 3, 1, 0, 0, 0, TimeSpan.Zero), SpeedUp = 60 });

        clock.Advance(TimeSpan.FromMinutes(5).Add(TimeSpan.FromSeconds(30)));
        var reading = await provider.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        var history = await provider.GetHistoryAsync("DE", start, clock.GetUtcNow(), CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(Shipped.Value[("DE", new DateTime(2023, 3, 1, 5, 0, 0, DateTimeKind.Utc))].Lca, reading!.GramsPerKwh, 2);
        Assert.Equal(start.AddMinutes(5), reading.At);
        Assert.Equal(6, history.Count); // slots starting at +0..+5 min
        Assert.Equal(Shipped.Value[("DE", new DateTime(2023, 3, 1, 2, 0, 0, DateTimeKind.Utc))].Lca, history[2].GramsPerKwh, 2);
    }

    [Fact]
    public async Task Offset_mode_shifts_the_replayed_hour_and_wraps_the_year()
    {
        var clock = new TelemetryTestClock(new DateTimeOffset(2025, 1, 1, 2, 0, 0, TimeSpan.Zero));
        var provider = Provider(clock, new CarbonTraceOptions { Mode = TraceTimeMode.Offset, Offset = TimeSpan.FromHours(-5) });

        var reading = await provider.GetCurrentAsync("GB", CarbonSignal.Direct, CancellationToken.None);

        // 2025-01-01 02:00 − 5 h = 2024-12-31 21:00 → 2023-12-31 21:00.
        Assert.Equal(Shipped.Value[("GB", new DateTime(2023, 12, 31, 21, 0, 0, DateTimeKind.Utc))].Direct, reading!.GramsPerKwh, 2);
    }

    [Fact]
    public async Task Forecast_replays_the_next_hours_marked_estimated()
    {
        var clock = new TelemetryTestClock(new DateTimeOffset(2025, 7, 1, 10, 20, 0, TimeSpan.Zero));
        var provider = Provider(clock);

        var forecast = await provider.GetForecastAsync("SG", TimeSpan.FromHours(24), CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(24, forecast.Count);
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 11, 0, 0, TimeSpan.Zero), forecast[0].At);
        Assert.All(forecast, r => Assert.Equal(DataQuality.Estimated, r.Quality));
        Assert.Equal(Shipped.Value[("SG", new DateTime(2023, 7, 1, 11, 0, 0, DateTimeKind.Utc))].Lca, forecast[0].GramsPerKwh, 2);
    }

    [Fact]
    public void Unknown_zones_are_not_supported_and_the_file_loads_16_zones()
    {
        var provider = Provider(TimeProvider.System);

        Assert.False(provider.Supports("FR"));
        Assert.True(provider.Supports("de"));
        Assert.Equal(16, provider.Zones.Count);
    }

    [Fact]
    public void Missing_file_names_the_setting()
    {
        var provider = new TraceCarbonIntensityProvider(Options.Create(new CarbonTraceOptions { FilePath = "/nonexistent/trace.csv.gz" }), TimeProvider.System, NullLogger<TraceCarbonIntensityProvider>.Instance);

        var ex = Assert.Throws<FileNotFoundException>(() => provider.Supports("DE"));
        Assert.Contains("Carbon:Trace:FilePath", ex.Message);
    }

    [Fact]
    public void FixedStart_mode_without_a_2023_start_fails_validation_at_start()
    {
        using var sp = CarbonTestHost.Build(TimeProvider.System, new Dictionary<string, string?> { ["Carbon:Trace:Mode"] = "FixedStart", ["Carbon:Trace:FixedStart"] = "2024-01-01T00:00:00Z" });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<CarbonTraceOptions>>().Value);
        Assert.Contains("Carbon:Trace:FixedStart", ex.Message);
    }
}
