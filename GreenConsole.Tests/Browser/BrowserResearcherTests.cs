using System.Globalization;
using System.Text;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Tests.Lab;
using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>
/// A researcher starts the reference trainer in the browser, watches it advance, sees the controller move it to a
/// cleaner cloud when the replayed trace is above the threshold, and exports the job report.
/// </summary>
[Collection(SshLabCollection.Name)]
public sealed class BrowserResearcherTests(SshLabFixture lab) : IAsyncLifetime
{
    private const string ResearcherPassword = "researcher-pass-2";

    // A 2023 hour the replay stays on for the whole test (FixedStart, no speed-up).
    private static readonly DateTimeOffset TraceHour = new(2023, 3, 15, 12, 0, 0, TimeSpan.Zero);

    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    public async Task InitializeAsync()
    {
        // Thresholds from the shipped data at that hour: the first cloud is above its own, every other cloud below.
        var trace = Hourly2023TraceLoader.LifeCycle;
        var hour = (int)(TraceHour - trace.Start).TotalHours;
        double At(string zone) => trace.Intensity[trace.IndexOf(zone)][hour];
        var lines = (await File.ReadAllLinesAsync(lab.CsvPath)).ToList();
        for (var i = 1; i < lines.Count; i++)
        {
            var fields = lines[i].Split(',');
            var zone = fields[6];
            var threshold = i == 1 ? At(zone) * 0.8 : At(zone) + 100;
            fields[7] = threshold.ToString("0", CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', fields);
        }
        var dir = Directory.CreateTempSubdirectory("gc-researcher-").FullName;
        var csv = Path.Combine(dir, "clouds.csv");
        await File.WriteAllLinesAsync(csv, lines, new UTF8Encoding(false));

        server = await GreenConsoleServer.StartAsync(lab.RepoRoot, new Dictionary<string, string>
        {
            ["Lab__AutoImport"] = "true",
            ["Lab__CsvPath"] = csv,
            ["Carbon__Trace__Mode"] = "FixedStart",
            ["Carbon__Trace__FixedStart"] = TraceHour.ToString("O", CultureInfo.InvariantCulture),
            ["Migration__TickSeconds"] = "2",
            ["Migration__Policy__MinimumDwell"] = "00:00:10",
            // A one-minute demo job saves well under the default 5 g per move; any real saving must count here.
            ["Migration__Policy__MinimumNetSavingGrams"] = "0.01",
            ["Map__RefreshSeconds"] = "5",
        });
        browser = await BrowserHarness.LaunchAsync();

        await BrowserHarness.SetUpOrDisposeAsync(server, browser, () => browser.CreateUsersAsync(server.BaseUrl, null,
            ("researcher2", ResearcherPassword, "Researcher")));
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Researcher_starts_a_job_watches_it_migrate_and_exports_the_report()
    {
        var page = await browser.NewPageAsync(1280, 900);
        await BrowserHarness.LoginAsync(page, server.BaseUrl, "researcher2", ResearcherPassword);
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/jobs");

        // The first cloud (above its threshold) is preselected; slow the steps so the move happens mid-run.
        await page.FillAsync("#start-epochs input, input#start-epochs", "6");
        await page.FillAsync("#start-delay input, input#start-delay", "150");
        await page.ClickAsync("#start-job");

        var detail = page.Locator("#job-detail");
        await detail.WaitForAsync(new() { Timeout = 60_000 });
        var first = await WaitForStepAsync(detail, s => s > 0, "the first progress line");
        await WaitForStepAsync(detail, s => s > first, "progress to advance live");
        var carbonAt = page.Locator("#job-carbon-at");
        await Assertions.Expect(carbonAt).ToContainTextAsync("as of");
        var carbonBefore = await carbonAt.InnerTextAsync();

        var arrived = page.Locator("#migration-log tr[data-to=RunningOnTarget]");
        await Assertions.Expect(arrived).ToHaveCountAsync(1, new() { Timeout = 180_000 });
        await Assertions.Expect(page.Locator("#migration-log")).ToContainTextAsync("Transferring");
        // The carbon panel is recomputed live (at most every 10 s, and on a status change), not only when the job was opened.
        await Assertions.Expect(carbonAt).Not.ToHaveTextAsync(carbonBefore);
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "jobs");

        var jobId = await detail.GetAttributeAsync("data-job-id");
        var csv = await DownloadAsync(page, "#export-csv");
        Assert.Contains("section,job_id", csv, StringComparison.Ordinal);
        Assert.Contains(jobId!, csv, StringComparison.Ordinal);
        Assert.Contains("RunningOnTarget", csv, StringComparison.Ordinal);
        var json = await DownloadAsync(page, "#export-json");
        using (var doc = System.Text.Json.JsonDocument.Parse(json))
        {
            Assert.Equal(jobId, doc.RootElement.GetProperty("job").GetProperty("id").GetString());
            Assert.True(doc.RootElement.GetProperty("migrations").GetArrayLength() >= 1);
        }

        // Fleet reports export with the researcher's own session.
        var clouds = await page.APIRequest.GetAsync(server.BaseUrl + "/api/reports/clouds?format=csv");
        Assert.Equal(200, clouds.Status);
        var cloudsCsv = await clouds.TextAsync();
        Assert.StartsWith("CloudId,Name,Host,Port,CountryCode,Zone,", cloudsCsv, StringComparison.Ordinal);
        Assert.Contains("CA-ON", cloudsCsv, StringComparison.Ordinal);
        var carbon = await page.APIRequest.GetAsync(server.BaseUrl + "/api/reports/carbon?format=json");
        Assert.Equal(200, carbon.Status);
        using (var doc = System.Text.Json.JsonDocument.Parse(await carbon.TextAsync()))
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Array, doc.RootElement.ValueKind);
        }

        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#carbon-map")).Not.ToHaveAttributeAsync("data-migrations", "0", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("path.gc-migration-arrow")).Not.ToHaveCountAsync(0);
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "overview-migration");

        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/telemetry");
        await Assertions.Expect(page.Locator("#telemetry-table")).ToContainTextAsync("g/kWh");
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "telemetry");
    }

    private static async Task<long> WaitForStepAsync(ILocator detail, Func<long, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var step = long.Parse(await detail.GetAttributeAsync("data-step") ?? "0", CultureInfo.InvariantCulture);
            if (condition(step))
            {
                return step;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Timed out waiting for {what}.");
    }

    private static async Task<string> DownloadAsync(IPage page, string selector)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync(selector));
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path!);
    }
}
