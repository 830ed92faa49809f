using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Web.Telemetry;

/// <summary>The /api/telemetry endpoints in the real app. A test scheme signs requests in with the role named in a header.</summary>
public sealed class TelemetryApiTests : IAsyncLifetime
{
    private const string RoleHeader = HeaderRoleAuth.Header;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-telemetry-api-");
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = TestWebApp.Create(_folder, new Dictionary<string, string>
            {
                ["Telemetry:WriterFlushSeconds"] = "3600",
                // The poller forgets clouds that are not registered (42 is not); one cycle a day keeps it out of the test.
                ["Telemetry:HardwareIntervalSeconds"] = "86400",
            },
            web => web.ConfigureTestServices(HeaderRoleAuth.Use));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private HttpClient Client(string? role)
    {
        var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (role is not null)
        {
            client.DefaultRequestHeaders.Add(RoleHeader, role);
        }

        return client;
    }

    [Theory]
    [InlineData("/api/telemetry/live")]
    [InlineData("/api/telemetry/status")]
    [InlineData("/api/telemetry/totals")]
    [InlineData("/api/telemetry/carbon/DE")]
    [InlineData("/api/telemetry/series/1")]
    public async Task Endpoints_need_a_signed_in_researcher(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(null).GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client("Nobody").GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(Roles.Researcher).GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Live_series_totals_and_carbon_answer_from_the_store_and_the_database()
    {
        var client = Client(Roles.Researcher);
        var store = _factory.Services.GetRequiredService<TelemetryStore>();
        var writer = _factory.Services.GetRequiredService<TelemetryWriter>();
        // The first cycle runs when the scheduler starts; samples recorded before it ends would be forgotten.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.LastHardwareCycle is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first hardware cycle did not finish within 30 s");
            await Task.Delay(20);
        }

        var now = DateTimeOffset.UtcNow;
        var t0 = now.AddMinutes(-10);
        for (var i = 0; i < 4; i++)
        {
            var sample = TelemetryTestHost.Sample(42, t0.AddSeconds(5 * i), 100, 0.001, 300);
            var processed = store.RecordSample(42, "DE", 1.25, sample.Sample, TimeSpan.FromMilliseconds(12));
            writer.Enqueue(processed);
        }

        await writer.FlushAsync(CancellationToken.None);
        var expected = store.Get(42)!;
        Assert.True(expected.CumulativeKwh > 0);

        var live = await GetJsonAsync(client, "/api/telemetry/live");
        var cloud = Assert.Single(live.EnumerateArray(), c => c.GetProperty("cloudId").GetInt32() == 42);
        Assert.Equal("DE", cloud.GetProperty("zone").GetString());
        Assert.Equal(expected.CumulativeKwh, cloud.GetProperty("cumulativeKwh").GetDouble(), 12);
        Assert.Equal(0.25, cloud.GetProperty("hardware").GetProperty("cpuUtilization").GetProperty("value").GetDouble());
        Assert.Equal("nvidia-smi not installed", cloud.GetProperty("hardware").GetProperty("gpusMissing").GetString());
        Assert.StartsWith("default:", cloud.GetProperty("power").GetProperty("cpu").GetProperty("method").GetString(), StringComparison.Ordinal);
        Assert.Equal("Estimated", cloud.GetProperty("power").GetProperty("cpu").GetProperty("quality").GetString());

        var one = await GetJsonAsync(client, "/api/telemetry/live/42");
        Assert.Equal(4, one.GetProperty("history").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/telemetry/live/9999")).StatusCode);

        var from = Uri.EscapeDataString(t0.AddMinutes(-1).ToString("O"));
        var to = Uri.EscapeDataString(now.AddMinutes(1).ToString("O"));
        var series = await GetJsonAsync(client, $"/api/telemetry/series/42?from={from}&to={to}&resolution=Raw");
        Assert.Equal(4, series.GetArrayLength());
        Assert.Equal(expected.LatestPower!.TotalW, series[3].GetProperty("powerWatts").GetDouble(), 9);

        var totals = await GetJsonAsync(client, $"/api/telemetry/totals?from={from}&to={to}&cloudId=42");
        var total = Assert.Single(totals.EnumerateArray());
        Assert.Equal(expected.CumulativeGrams, total.GetProperty("grams").GetDouble(), 9);
        Assert.Equal(4, total.GetProperty("samples").GetInt64());

        var carbon = await GetJsonAsync(client, $"/api/telemetry/carbon/de?from={Uri.EscapeDataString(now.AddHours(-6).ToString("O"))}&to={to}&signal=direct");
        Assert.Equal("Direct", carbon.GetProperty("signal").GetString());
        var history = carbon.GetProperty("history");
        Assert.InRange(history.GetArrayLength(), 6, 7);
        Assert.All(history.EnumerateArray(), r => Assert.Equal("trace:electricitymaps-2023", r.GetProperty("source").GetString()));

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/telemetry/carbon/DE?signal=green")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/telemetry/totals?from={to}&to={from}")).StatusCode);

        var status = await GetJsonAsync(client, "/api/telemetry/status");
        Assert.True(status.GetProperty("writer").GetProperty("samples").GetInt64() >= 4);
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}
