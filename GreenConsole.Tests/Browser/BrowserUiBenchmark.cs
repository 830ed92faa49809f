using System.Globalization;
using System.Text.Json;
using GreenConsole.Tests.Lab;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GreenConsole.Tests.Browser;

/// <summary>
/// Issue #5: server time of page interactions with 5 browser sessions open and 50 clouds polling every 5 s; the goal is
/// a p95 under 50 ms. This prints the numbers (scripts/bench.sh ui) and asserts only that the load really happened;
/// a timed assertion would make the regular suite flaky on a busy machine, so the goal check is printed, not asserted.
/// </summary>
[Trait("Category", "Benchmark")]
[Collection(SshLabCollection.Name)]
public sealed class BrowserUiBenchmark(SshLabFixture lab, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Sessions = 5;
    private const double GoalP95Ms = 50;

    private static readonly (string Menu, string Path, string Ready)[] Pages =
    [
        ("Overview", "/", "#overview-clouds"),
        ("Jobs", "/jobs", "#jobs-grid"),
        ("Telemetry", "/telemetry", "#telemetry-table"),
        ("Clouds", "/clouds", "#clouds-grid"),
        ("Simulate", "/simulate", "#simulate-form"),
    ];

    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    /// <summary>Clouds registered; GC_UI_BENCH_CLOUDS overrides the 50 the issue asks for (to compare loads).</summary>
    private static int CloudCount =>
        int.TryParse(Environment.GetEnvironmentVariable("GC_UI_BENCH_CLOUDS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 50;

    /// <summary>Seconds of scripted interaction; GC_UI_BENCH_SECONDS overrides the 60 s the issue asks for.</summary>
    private static TimeSpan RunTime =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("GC_UI_BENCH_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 60);

    /// <summary>nice level of the browsers (GC_UI_BENCH_BROWSER_NICE, default 10; 0 runs them at the server's priority).</summary>
    private static int BrowserNice =>
        int.TryParse(Environment.GetEnvironmentVariable("GC_UI_BENCH_BROWSER_NICE"), CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : 10;

    public async Task InitializeAsync()
    {
        server = await GreenConsoleServer.StartAsync(lab.RepoRoot, new Dictionary<string, string>
        {
            ["Telemetry__HardwareIntervalSeconds"] = "5",
            // The clouds log in with the lab's key, which lives in the lab's own folder.
            ["Ssh__KeyDirectories"] = Path.GetDirectoryName(lab.KeyPath)!,
        });
        browser = await BrowserHarness.LaunchAsync(BrowserNice);
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Page_interactions_with_five_sessions_and_fifty_polled_clouds()
    {
        await RegisterCloudsAsync(CancellationToken.None);

        var admin = await browser.NewPageAsync();
        await BrowserHarness.LoginAsync(admin, server.BaseUrl, GreenConsoleServer.AdminUser, GreenConsoleServer.AdminPassword);
        await WaitForPolledCloudsAsync(admin, CloudCount, TimeSpan.FromSeconds(90));

        // One administrator plus four researchers, each in its own browser context (own cookies, own circuit).
        await BrowserHarness.GotoAsync(admin, server.BaseUrl + "/admin/users");
        var pages = new List<IPage> { admin };
        for (var i = 1; i < Sessions; i++)
        {
            await BrowserHarness.CreateUserAsync(admin, $"bench{i}", $"bench-pass-{i}-x", "Researcher");
        }
        for (var i = 1; i < Sessions; i++)
        {
            var page = await browser.NewPageAsync();
            await BrowserHarness.LoginAsync(page, server.BaseUrl, $"bench{i}", $"bench-pass-{i}-x");
            pages.Add(page);
        }

        var before = await CircuitsAsync(admin);
        var load = await File.ReadAllTextAsync("/proc/loadavg");
        var cpuBefore = server.ProcessorTime;
        var started = DateTime.UtcNow;
        var until = started + RunTime;
        var performed = await Task.WhenAll(pages.Select((p, i) => RunScriptAsync(p, i, until)));
        var after = await CircuitsAsync(admin);
        var serverCpu = (server.ProcessorTime - cpuBefore) / (DateTime.UtcNow - started);
        var polled = await PolledCloudsAsync(admin);
        var loadAfter = await File.ReadAllTextAsync("/proc/loadavg");

        // The diagnostics are for administrators only.
        var denied = await pages[1].Context.APIRequest.GetAsync(server.BaseUrl + "/api/diagnostics/circuits");
        Assert.Equal(403, denied.Status);

        var measured = after.GetProperty("count").GetInt64() - before.GetProperty("count").GetInt64();
        var p95 = after.GetProperty("p95Ms").GetDouble();
        var lines = new[]
        {
            $"UI benchmark: {Sessions} sessions, {CloudCount} clouds registered, {polled} with live hardware telemetry, {RunTime.TotalSeconds:0} s of scripted interaction",
            $"  client interactions performed: {performed.Sum()} ({string.Join(", ", performed)})",
            $"  circuit activities measured during the run: {measured} (window {after.GetProperty("window").GetInt32()}, open circuits {after.GetProperty("openCircuits").GetInt32()})",
            string.Format(CultureInfo.InvariantCulture, "  server time per activity: p50 {0:0.00} ms, p95 {1:0.00} ms, p99 {2:0.00} ms, max {3:0.00} ms (count {4})",
                after.GetProperty("p50Ms").GetDouble(), p95, after.GetProperty("p99Ms").GetDouble(), after.GetProperty("maxMs").GetDouble(), after.GetProperty("count").GetInt64()),
            string.Format(CultureInfo.InvariantCulture, "  goal p95 < {0} ms: {1}", GoalP95Ms, p95 < GoalP95Ms ? "MET" : "NOT MET"),
            "  per page (p50 / p95 / p99 / max ms, count): " + string.Join("; ", after.GetProperty("pages").EnumerateArray().Select(p =>
                string.Format(CultureInfo.InvariantCulture, "{0} {1:0.0} / {2:0.0} / {3:0.0} / {4:0.0} ({5})", p.GetProperty("page").GetString(),
                    p.GetProperty("p50Ms").GetDouble(), p.GetProperty("p95Ms").GetDouble(), p.GetProperty("p99Ms").GetDouble(), p.GetProperty("maxMs").GetDouble(), p.GetProperty("count").GetInt64()))),
            string.Format(CultureInfo.InvariantCulture, "  app process CPU during the run: {0:P0} of one core; browsers at nice {1}", serverCpu, BrowserNice),
            $"  /proc/loadavg before: {load.Trim()}; after: {loadAfter.Trim()}; cores: {Environment.ProcessorCount}",
        };
        foreach (var line in lines)
        {
            output.WriteLine(line);
            Console.WriteLine(line);
        }

        // Correctness only: every session did its script and the server saw at least one activity per interaction.
        Assert.All(performed, n => Assert.True(n >= 10, $"A session performed only {n} interactions."));
        Assert.True(measured >= performed.Sum(), $"The server measured {measured} activities for {performed.Sum()} interactions.");
        Assert.Equal(CloudCount, polled);
    }

    /// <summary>50 cloud ids over the lab's 5 endpoints. host:port:user is unique per row in a CSV, so the rows go straight
    /// into SQLite with distinct natural keys, as the telemetry benchmark does; the lab key logs in everywhere.</summary>
    private async Task RegisterCloudsAsync(CancellationToken ct)
    {
        var options = new DbContextOptionsBuilder<GreenConsoleDbContext>().UseSqlite($"Data Source={server.DatabasePath}").Options;
        await using var db = new GreenConsoleDbContext(options);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < CloudCount; i++)
        {
            var c = lab.Clouds[i % lab.Clouds.Count];
            db.Clouds.Add(new CloudEntity
            {
                NaturalKey = $"uibench-{i}:{c.Host}:{c.Port}:{c.Username}",
                Host = c.Host,
                Port = c.Port,
                Username = c.Username,
                KeyPath = lab.KeyPath,
                CountryCode = c.CountryCode,
                CountryName = c.CountryName,
                Zone = c.Zone,
                Threshold = c.Threshold,
                Pue = c.Pue,
                Label = $"ui bench {i}",
                CreatedAt = now,
                UpdatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);
    }

    private async Task WaitForPolledCloudsAsync(IPage page, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var polled = 0;
        while (DateTime.UtcNow < deadline)
        {
            polled = await PolledCloudsAsync(page);
            if (polled >= expected)
            {
                return;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"Only {polled} of {expected} clouds had hardware telemetry after {timeout.TotalSeconds} s:\n{server.Log}");
    }

    private async Task<int> PolledCloudsAsync(IPage page)
    {
        var response = await page.Context.APIRequest.GetAsync(server.BaseUrl + "/api/telemetry/live");
        Assert.True(response.Ok, $"/api/telemetry/live answered {response.Status}");
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.EnumerateArray().Count(c =>
            c.TryGetProperty("hardware", out var h) && h.ValueKind == JsonValueKind.Object);
    }

    private async Task<JsonElement> CircuitsAsync(IPage page)
    {
        var response = await page.Context.APIRequest.GetAsync(server.BaseUrl + "/api/diagnostics/circuits");
        Assert.True(response.Ok, $"/api/diagnostics/circuits answered {response.Status}");
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.Clone();
    }

    /// <summary>The fixed script: walk the nav menu, and on each page do what a person does there.</summary>
    private async Task<int> RunScriptAsync(IPage page, int session, DateTime until)
    {
        var count = 0;
        var step = session; // Sessions start at different pages so they do not move in lockstep.
        while (DateTime.UtcNow < until)
        {
            var (menu, path, ready) = Pages[step++ % Pages.Length];
            await page.Locator("#gc-nav a", new() { HasText = menu }).First.ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path);
            await page.Locator(ready).WaitForAsync();
            count++;

            switch (path)
            {
                case "/":
                    // Leaving the overview before the map has been created kills the circuit (CarbonMap.OnAfterRenderAsync
                    // throws "Map container not found", unhandled), so the script lets the map appear first.
                    await page.Locator("#carbon-map.leaflet-container").WaitForAsync();
                    break;
                case "/clouds":
                    // Sort the 50-row grid both ways, then click a row.
                    var header = page.Locator("#clouds-grid th", new() { HasText = "Cloud" }).First;
                    await header.ClickAsync();
                    await header.ClickAsync();
                    await page.Locator("#clouds-grid tbody tr").First.ClickAsync();
                    count += 3;
                    break;
                case "/simulate":
                    var box = page.Locator("#simulate-form input[type=checkbox]").First;
                    await box.ClickAsync();
                    await box.ClickAsync();
                    count += 2;
                    break;
                default:
                    break;
            }
        }
        return count;
    }
}
