using System.Globalization;
using System.Text;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Tests.Lab;
using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>
/// A researcher fills the "New job" form for their own project folder, sees preflight per cloud, submits, watches the
/// live output, and sees the controller move the job to a cleaner cloud.
/// </summary>
[Collection(SshLabCollection.Name)]
public sealed class BrowserOwnJobTests(SshLabFixture lab) : IAsyncLifetime
{
    private const string Password = "researcher-own-3";
    private static readonly DateTimeOffset TraceHour = new(2023, 3, 15, 12, 0, 0, TimeSpan.Zero);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-browser-own-");
    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    public async Task InitializeAsync()
    {
        // The first cloud is above its threshold at that hour, every other below: the policy moves the job.
        var trace = Hourly2023TraceLoader.LifeCycle;
        var hour = (int)(TraceHour - trace.Start).TotalHours;
        double At(string zone) => trace.Intensity[trace.IndexOf(zone)][hour];
        var lines = (await File.ReadAllLinesAsync(lab.CsvPath)).ToList();
        for (var i = 1; i < lines.Count; i++)
        {
            var fields = lines[i].Split(',');
            fields[7] = (i == 1 ? At(fields[6]) * 0.8 : At(fields[6]) + 100).ToString("0", CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', fields);
        }

        var csv = Path.Combine(_folder.FullName, "clouds.csv");
        await File.WriteAllLinesAsync(csv, lines, new UTF8Encoding(false));
        server = await GreenConsoleServer.StartAsync(lab.RepoRoot, new Dictionary<string, string>
        {
            ["Lab__AutoImport"] = "true",
            ["Lab__CsvPath"] = csv,
            ["Carbon__Trace__Mode"] = "FixedStart",
            ["Carbon__Trace__FixedStart"] = TraceHour.ToString("O", CultureInfo.InvariantCulture),
            ["Migration__TickSeconds"] = "2",
            ["Migration__Policy__MinimumDwell"] = "00:00:10",
            ["Migration__Policy__MinimumNetSavingGrams"] = "0.01",
        });
        browser = await BrowserHarness.LaunchAsync();
        await BrowserHarness.SetUpOrDisposeAsync(server, browser, () => browser.CreateUsersAsync(server.BaseUrl, null, ("researcher3", Password, "Researcher")));
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Researcher_submits_their_own_project_sees_preflight_and_output_and_watches_it_move()
    {
        var project = Path.Combine(_folder.FullName, "my-cnn");
        Directory.CreateDirectory(project);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "own-training", "protocol_cnn", "train.py"), Path.Combine(project, "train.py"));

        var page = await browser.NewPageAsync(1280, 1000);
        await BrowserHarness.LoginAsync(page, server.BaseUrl, "researcher3", Password);
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/jobs?new=1");

        // A first submit without the required fields names them.
        await page.ClickAsync("#job-submit");
        await Assertions.Expect(page.Locator("#job-errors")).ToContainTextAsync("command:");

        await page.FillAsync("#job-name input, input#job-name", "my-cnn");
        await page.FillAsync("#job-project input, input#job-project", project);
        await page.FillAsync("#job-command input, input#job-command", "/usr/bin/python3 train.py --epochs 4 --delay 0.25");
        await page.Locator("#mode-protocol").ClickAsync();
        await page.FillAsync("#job-requires input, input#job-requires", "torch>=1.10");
        await page.FillAsync("#job-secret-env input, input#job-secret-env", "WANDB_API_KEY=browser-secret-9");
        await page.ClickAsync("#job-add-secret");
        await Assertions.Expect(page.Locator("#job-secret-names")).ToContainTextAsync("WANDB_API_KEY=••••••");
        await Assertions.Expect(page.Locator("#job-preview")).ToContainTextAsync("WANDB_API_KEY=••••••");
        await Assertions.Expect(page.Locator("#job-preview")).Not.ToContainTextAsync("browser-secret-9");

        await page.ClickAsync("#job-preflight");
        await Assertions.Expect(page.Locator("#preflight-results tr[data-ok=true]")).ToHaveCountAsync(5, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#preflight-results")).ToContainTextAsync("torch 1.13");

        await page.ClickAsync("#job-submit");
        await Assertions.Expect(page.Locator("#job-mode-line")).ToHaveAttributeAsync("data-mode", "protocol", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#job-stdout")).ToContainTextAsync("loss", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#job-mode-line")).Not.ToContainTextAsync("browser-secret-9");

        var arrived = page.Locator("#migration-log tr[data-to=RunningOnTarget]");
        await Assertions.Expect(arrived).ToHaveCountAsync(1, new() { Timeout = 180_000 });
        await Assertions.Expect(page.Locator("#migration-log")).ToContainTextAsync("Project copied to cloud");
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "own-job");
        Assert.DoesNotContain("browser-secret-9", await page.ContentAsync(), StringComparison.Ordinal);
    }
}
