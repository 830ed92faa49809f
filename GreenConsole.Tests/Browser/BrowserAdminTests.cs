using System.Text;
using GreenConsole.Tests.Lab;
using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>An administrator registers clouds through the browser: a bad row is named, a good file lands in the list.</summary>
[Collection(SshLabCollection.Name)]
public sealed class BrowserAdminTests(SshLabFixture lab) : IAsyncLifetime
{
    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    public async Task InitializeAsync()
    {
        server = await GreenConsoleServer.StartAsync(lab.RepoRoot);
        browser = await BrowserHarness.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Admin_uploads_a_bad_file_sees_the_row_error_then_uploads_the_lab_and_sees_clouds_live()
    {
        var page = await browser.NewPageAsync();
        await BrowserHarness.LoginAsync(page, server.BaseUrl, GreenConsoleServer.AdminUser, GreenConsoleServer.AdminPassword);
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/clouds");
        await page.Locator("#csv-import").WaitForAsync();

        // The lab's own file with one row broken: port 70000 on the third data row (line 4).
        var lines = (await File.ReadAllLinesAsync(lab.CsvPath)).ToList();
        var fields = lines[3].Split(',');
        fields[3] = "70000";
        lines[3] = string.Join(',', fields);
        var bad = Path.Combine(server.WorkDir, "bad.csv");
        await File.WriteAllLinesAsync(bad, lines, new UTF8Encoding(false));

        await page.SetInputFilesAsync("#csv-file", bad);
        var summary = page.Locator("#import-summary");
        await Assertions.Expect(summary).ToContainTextAsync("1 rejected");
        var rejectedRow = page.Locator("#import-rows tr", new() { HasText = "Rejected" });
        await Assertions.Expect(rejectedRow).ToContainTextAsync("4");
        await Assertions.Expect(rejectedRow).ToContainTextAsync("Port");
        await Assertions.Expect(page.Locator("#import-button")).ToBeDisabledAsync();
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "clouds-import-error");

        await page.SetInputFilesAsync("#csv-file", lab.CsvPath);
        await Assertions.Expect(summary).ToContainTextAsync($"{lab.Clouds.Count} new");
        await page.ClickAsync("#import-button");
        await Assertions.Expect(summary).ToContainTextAsync("Stored");

        var grid = page.Locator("#clouds-grid");
        foreach (var cloud in lab.Clouds)
        {
            await Assertions.Expect(grid).ToContainTextAsync(cloud.Zone);
        }
        // The health job checks every 5 s here; reachable states arrive without a reload.
        await Assertions.Expect(page.Locator("[data-state=reachable]")).ToHaveCountAsync(lab.Clouds.Count, new() { Timeout = 60_000 });
        await Assertions.Expect(grid).ToContainTextAsync("SHA256:");
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "clouds");

        // The overview map shows every cloud as a marker coloured by its zone's intensity.
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#carbon-map")).ToHaveAttributeAsync("data-clouds", lab.Clouds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("path.gc-cloud-marker")).ToHaveCountAsync(lab.Clouds.Count);
        await Assertions.Expect(page.Locator(".gc-map-legend")).ToContainTextAsync("gCO");
        await Assertions.Expect(page.Locator("#overview-clouds")).ToContainTextAsync("US-CAL-CISO");
        await Assertions.Expect(page.Locator("#impact")).ToContainTextAsync("tree-months");
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "overview");

        // The what-if simulator runs in the page with progress, and reports all five policies.
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/simulate");
        await page.ClickAsync("#run");
        var table = page.Locator("#simulate-table");
        await Assertions.Expect(table).ToContainTextAsync("oracle", new() { Timeout = 120_000 });
        foreach (var policy in new[] { "stay", "threshold-lowest", "greenconsole", "time-shift" })
        {
            await Assertions.Expect(table).ToContainTextAsync(policy);
        }
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "simulate");

        // Passwords are never sent back to the browser.
        var html = await page.ContentAsync();
        foreach (var cloud in lab.Clouds.Where(c => c.Password is not null))
        {
            Assert.DoesNotContain(cloud.Password!, html, StringComparison.Ordinal);
        }
    }
}
