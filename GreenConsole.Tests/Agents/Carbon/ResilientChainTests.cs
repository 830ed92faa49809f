using System.Diagnostics;
using GreenConsole.Agents.Carbon.Chain;
using GreenConsole.Agents.Carbon.Trace;
using GreenConsole.Core.Carbon;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Agents.Carbon;

public class ResilientChainTests
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 5, 0, TimeSpan.Zero);

    private static Dictionary<string, string?> Settings(FakeElectricityMapsServer server, double timeoutSeconds = 5) => new()
    {
        ["Carbon:ElectricityMaps:BaseUrl"] = server.BaseUrl,
        ["Carbon:ElectricityMaps:Token"] = "test-token-not-a-secret",
        ["Carbon:ProviderTimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Carbon:MaxStaleMinutes"] = "90",
        ["Carbon:ErrorCooldownSeconds"] = "30",
    };

    [Fact]
    public async Task Killing_the_live_api_mid_run_serves_stale_then_trace_and_counts_errors()
    {
        var server = await FakeElectricityMapsServer.StartAsync();
        var clock = new TelemetryTestClock(Noon);
        using var sp = CarbonTestHost.Build(clock, Settings(server));
        var chain = sp.GetRequiredService<ICarbonIntensityProvider>();
        var health = sp.GetRequiredService<ICarbonProviderHealth>();
        var trace = sp.GetRequiredService<TraceCarbonIntensityProvider>();
        Assert.Equal(["electricitymaps", "trace", "yearly"], sp.GetRequiredService<ResilientCarbonIntensityProvider>().ProviderOrder);

        var live = await chain.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal((302.0, DataQuality.Measured, "api:electricitymaps"), (live!.GramsPerKwh, live.Quality, live.Source));
        Assert.Equal(1, health.Health["electricitymaps"].SuccessCount);

        await server.DisposeAsync();
        clock.Advance(TimeSpan.FromMinutes(10));
        var stale = await chain.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal((302.0, DataQuality.Stale, "api:electricitymaps"), (stale!.GramsPerKwh, stale.Quality, stale.Source));
        Assert.Equal(TimeSpan.FromMinutes(10), stale.Age);
        Assert.Equal(1, health.Health["electricitymaps"].ErrorCount);
        Assert.NotNull(health.Health["electricitymaps"].LastError);

        // Inside the cool-down the dead API is not called again: still stale, no new error.
        clock.Advance(TimeSpan.FromSeconds(10));
        var cooled = await chain.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal(DataQuality.Stale, cooled!.Quality);
        Assert.Equal(1, health.Health["electricitymaps"].ErrorCount);

        // Past the max stale age the trace answers.
        clock.Advance(TimeSpan.FromMinutes(85));
        var fallback = await chain.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        var expected = await trace.GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal(TraceCarbonIntensityProvider.SourceName, fallback!.Source);
        Assert.Equal(expected!.GramsPerKwh, fallback.GramsPerKwh);
        Assert.Equal(DataQuality.Measured, fallback.Quality);
        Assert.Equal(2, health.Health["electricitymaps"].ErrorCount);
        Assert.True(health.Health["trace"].SuccessCount >= 1);

        // A zone without hourly data falls through to the yearly table.
        clock.Advance(TimeSpan.FromMinutes(1));
        var france = await chain.GetCurrentAsync("FR", CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal((DataQuality.Fallback, "yearly:electricitymaps-2024"), (france!.Quality, france.Source));
        Assert.Equal(3, health.Health["electricitymaps"].ErrorCount);
    }

    [Fact]
    public async Task A_slow_api_is_cut_off_by_the_timeout_and_the_trace_answers()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        server.LatestDelay = TimeSpan.FromSeconds(60);
        using var sp = CarbonTestHost.Build(TimeProvider.System, Settings(server, timeoutSeconds: 0.3));
        var chain = sp.GetRequiredService<ICarbonIntensityProvider>();

        var watch = Stopwatch.StartNew();
        var reading = await chain.GetCurrentAsync("GB", CarbonSignal.LifeCycle, CancellationToken.None);
        watch.Stop();

        Assert.Equal(TraceCarbonIntensityProvider.SourceName, reading!.Source);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        var emaps = sp.GetRequiredService<ICarbonProviderHealth>().Health["electricitymaps"];
        Assert.Equal(1, emaps.ErrorCount);
        Assert.Contains("Timeout", emaps.LastError);
    }

    [Fact]
    public async Task Without_a_token_the_chain_is_trace_then_yearly()
    {
        using var sp = CarbonTestHost.Build(new TelemetryTestClock(Noon));
        var chain = sp.GetRequiredService<ResilientCarbonIntensityProvider>();

        var de = await chain.GetCurrentAsync("DE", CarbonSignal.Direct, CancellationToken.None);
        var none = await chain.GetCurrentAsync("XX", CarbonSignal.Direct, CancellationToken.None);

        Assert.Equal(["trace", "yearly"], chain.ProviderOrder);
        Assert.Equal((TraceCarbonIntensityProvider.SourceName, CarbonSignal.Direct), (de!.Source, de.Signal));
        Assert.Null(none);
        Assert.False(chain.Supports("XX"));
    }

    [Fact]
    public async Task History_and_forecast_come_from_the_first_provider_that_has_them()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        server.Hour = Noon.AddMinutes(-5);
        server.ForecastStatus = 403;
        using var sp = CarbonTestHost.Build(new TelemetryTestClock(Noon), Settings(server));
        var chain = sp.GetRequiredService<ICarbonIntensityProvider>();

        var history = await chain.GetHistoryAsync("DE", Noon.AddHours(-24), Noon, CarbonSignal.LifeCycle, CancellationToken.None);
        var forecast = await chain.GetForecastAsync("DE", TimeSpan.FromHours(6), CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(23, history.Count); // 24 points, one with a null value dropped
        Assert.All(history, r => Assert.Equal("api:electricitymaps", r.Source));
        Assert.Equal(TraceCarbonIntensityProvider.SourceName, Assert.IsType<CarbonIntensityReading>(forecast[0]).Source); // API refused: trace replay
        Assert.Equal(6, forecast.Count);
    }
}
