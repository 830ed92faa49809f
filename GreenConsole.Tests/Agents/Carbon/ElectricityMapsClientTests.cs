using GreenConsole.Agents.Carbon.ElectricityMaps;
using GreenConsole.Core.Carbon;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Agents.Carbon;

public class ElectricityMapsClientTests
{
    private const string Token = "em-test-token-7f3a";

    private static ServiceProvider Host(FakeElectricityMapsServer server, bool disableEstimations = false) =>
        CarbonTestHost.Build(new TelemetryTestClock(server.Hour), new Dictionary<string, string?>
        {
            ["Carbon:ElectricityMaps:BaseUrl"] = server.BaseUrl,
            ["Carbon:ElectricityMaps:Token"] = Token,
            ["Carbon:ElectricityMaps:DisableEstimations"] = disableEstimations ? "true" : "false",
        });

    [Theory]
    [InlineData(CarbonSignal.LifeCycle, "lifecycle")]
    [InlineData(CarbonSignal.Direct, "direct")]
    public async Task Latest_sends_token_header_zone_and_factor_type_and_maps_the_answer(CarbonSignal signal, string factor)
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        server.LatestValue = 123.5;
        using var sp = Host(server, disableEstimations: true);
        var provider = sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>();

        var reading = await provider.GetCurrentAsync("DE", signal, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v3/carbon-intensity/latest", request.Path);
        Assert.Equal(Token, request.Token);
        Assert.Contains("zone=DE", request.Query);
        Assert.Contains($"emissionFactorType={factor}", request.Query);
        Assert.Contains("disableEstimations=true", request.Query);
        Assert.Equal(new CarbonIntensityReading("DE", server.Hour, 123.5, signal, DataQuality.Measured, "api:electricitymaps"), reading);
    }

    [Fact]
    public async Task Estimated_history_points_keep_the_flag_and_method()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        using var sp = Host(server);
        var provider = sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>();

        var history = await provider.GetHistoryAsync("GB", server.Hour.AddDays(-2), server.Hour.AddHours(1), CarbonSignal.LifeCycle, CancellationToken.None);

        var last = history[^1];
        Assert.Equal((server.Hour, 223.0, true, DataQuality.Estimated), (last.At, last.GramsPerKwh, last.SourceEstimated, last.Quality));
        Assert.Contains("TIME_SLICER_AVERAGE", last.Note);
        Assert.Equal(DataQuality.Measured, history[0].Quality);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task Forecast_not_allowed_for_the_token_is_empty_not_an_error(int status)
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        server.ForecastStatus = status;
        using var sp = Host(server);

        var forecast = await sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>().GetForecastAsync("DE", TimeSpan.FromDays(1), CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Empty(forecast);
    }

    [Fact]
    public async Task Forecast_is_cut_to_the_horizon()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        using var sp = Host(server);

        var forecast = await sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>().GetForecastAsync("DE", TimeSpan.FromHours(12), CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(12, forecast.Count);
        Assert.Equal(299, forecast[0].GramsPerKwh);
        Assert.All(forecast, r => Assert.Equal(DataQuality.Estimated, r.Quality));
    }

    [Fact]
    public async Task A_forecast_is_fetched_once_per_cache_period_per_zone_and_signal()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        var clock = new TelemetryTestClock(server.Hour);
        using var sp = CarbonTestHost.Build(clock, new Dictionary<string, string?>
        {
            ["Carbon:ElectricityMaps:BaseUrl"] = server.BaseUrl,
            ["Carbon:ElectricityMaps:Token"] = Token,
            ["Carbon:ElectricityMaps:ForecastCacheSeconds"] = "600",
        });
        var provider = sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>();
        int Forecasts() => server.Requests.Count(r => r.Path.Contains("forecast", StringComparison.Ordinal));

        var first = await provider.GetForecastAsync("DE", TimeSpan.FromHours(12), CarbonSignal.LifeCycle, CancellationToken.None);
        var again = await provider.GetForecastAsync("de", TimeSpan.FromHours(6), CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal(1, Forecasts());
        Assert.Equal((12, 6), (first.Count, again.Count));

        await provider.GetForecastAsync("DE", TimeSpan.FromHours(12), CarbonSignal.Direct, CancellationToken.None);
        Assert.Equal(2, Forecasts());

        clock.Set(server.Hour.AddMinutes(10));
        await provider.GetForecastAsync("DE", TimeSpan.FromHours(12), CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal(3, Forecasts());
    }

    [Fact]
    public async Task Server_errors_throw_without_revealing_the_token()
    {
        await using var server = await FakeElectricityMapsServer.StartAsync();
        server.LatestStatus = 500;
        using var sp = Host(server);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>().GetCurrentAsync("DE", CarbonSignal.LifeCycle, CancellationToken.None));

        Assert.Contains("500", ex.Message);
        Assert.DoesNotContain(Token, ex.ToString());
    }

    [Fact]
    public void Options_never_print_the_token()
    {
        var options = new ElectricityMapsOptions { Token = Token };

        Assert.DoesNotContain(Token, options.ToString());
        Assert.False(new ElectricityMapsOptions().Enabled);
    }
}
