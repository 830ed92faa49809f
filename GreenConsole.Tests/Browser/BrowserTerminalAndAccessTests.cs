using System.Net;
using System.Text;
using GreenConsole.Tests.Lab;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>Operators get real terminals; researchers get neither terminals nor CSV upload, by page or by endpoint.</summary>
[Collection(SshLabCollection.Name)]
public sealed class BrowserTerminalAndAccessTests(SshLabFixture lab) : IAsyncLifetime
{
    private const string OperatorPassword = "operator-pass-1";
    private const string ResearcherPassword = "researcher-pass-1";

    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    public async Task InitializeAsync()
    {
        server = await GreenConsoleServer.StartWithLabAsync(lab.RepoRoot, lab.CsvPath);
        browser = await BrowserHarness.LaunchAsync();

        // Users are created the way an administrator does it: through the Users page.
        await BrowserHarness.SetUpOrDisposeAsync(server, browser, () => browser.CreateUsersAsync(server.BaseUrl, lab.RepoRoot,
            ("operator1", OperatorPassword, "Operator"), ("researcher1", ResearcherPassword, "Researcher")));
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Operator_opens_a_terminal_sees_output_and_resize_and_closing_the_tab_ends_ssh()
    {
        var page = await browser.NewPageAsync(1280, 720);
        await BrowserHarness.LoginAsync(page, server.BaseUrl, "operator1", OperatorPassword);
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/terminals");
        // The first cloud is preselected.
        await page.ClickAsync("#open-terminal");

        var terminal = page.Locator(".gc-terminal .xterm-rows");
        await terminal.WaitForAsync();
        await page.Locator(".gc-terminal .xterm-helper-textarea").FocusAsync();
        await page.Keyboard.TypeAsync("echo hello-$((6*7))\n");
        await Assertions.Expect(terminal).ToContainTextAsync("hello-42");

        var before = await SttySizeAsync(page, terminal, "a");
        await page.SetViewportSizeAsync(1000, 600);
        // The terminal is refitted on resize; wait until the remote shell reports a different size.
        string after = before;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var n = 0;
        while (after == before && DateTime.UtcNow < deadline)
        {
            after = await SttySizeAsync(page, terminal, "b" + n++);
        }
        Assert.NotEqual(before, after);
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "terminal");

        // The lab's clouds run on this machine, so the terminal's remote login shell is a process here: it proves the
        // terminal ended whichever client carried it (no local ssh exists under SSH.NET).
        await page.Keyboard.TypeAsync("echo shell-pid-$$-end\n");
        var pidPattern = new System.Text.RegularExpressions.Regex(@"shell-pid-(\d+)-end");
        var found = DateTime.UtcNow.AddSeconds(30);
        System.Text.RegularExpressions.Match pidMatch;
        while (!(pidMatch = pidPattern.Match(await terminal.InnerTextAsync())).Success)
        {
            Assert.True(DateTime.UtcNow < found, "the shell never printed its pid");
            await Task.Delay(100);
        }

        var sessionPid = int.Parse(pidMatch.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{sessionPid}"), "the terminal's shell should be running while the tab is open");

        await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });
        var gone = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists($"/proc/{sessionPid}") && DateTime.UtcNow < gone)
        {
            await Task.Delay(100);
        }
        Assert.False(Directory.Exists($"/proc/{sessionPid}"), "closing the tab must end the terminal's shell");

        await using var db = new SqliteConnection($"Data Source={server.DatabasePath}");
        await db.OpenAsync();
        var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT UserName, ClosedAt IS NOT NULL FROM TerminalAudit ORDER BY Id DESC LIMIT 1";
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("operator1", reader.GetString(0));
    }

    /// <summary>Runs stty size with a unique marker and returns "rows cols" as the remote shell sees it.</summary>
    private static async Task<string> SttySizeAsync(IPage page, ILocator terminal, string marker)
    {
        // A viewport change re-lays out the page; give the terminal the keyboard again before typing.
        await page.Locator(".gc-terminal .xterm-helper-textarea").FocusAsync();
        await page.Keyboard.TypeAsync($"echo size-{marker}=$(stty size)=\n");
        var pattern = new System.Text.RegularExpressions.Regex($"size-{marker}=(\\d+ \\d+)=");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var match = pattern.Match(await terminal.InnerTextAsync());
            if (match.Success)
            {
                return match.Groups[1].Value;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"stty size with marker {marker} did not appear");
    }

    [Fact]
    public async Task Researcher_cannot_open_terminals_or_upload_by_page_or_endpoint()
    {
        var page = await browser.NewPageAsync();
        await BrowserHarness.LoginAsync(page, server.BaseUrl, "researcher1", ResearcherPassword);

        await Assertions.Expect(page.Locator("#gc-nav")).Not.ToContainTextAsync("Terminals");
        // Typing the URL: the server refuses the page itself and sends the researcher to the access-denied page.
        await page.GotoAsync(server.BaseUrl + "/terminals");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/denied"));
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("Your role does not allow this page");
        await Assertions.Expect(page.Locator("#open-terminal")).ToHaveCountAsync(0);

        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/clouds");
        await Assertions.Expect(page.Locator("#clouds-grid")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#csv-import")).ToHaveCountAsync(0);

        // The endpoint itself refuses the researcher's cookie.
        var cookies = await page.Context.CookiesAsync();
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        foreach (var c in cookies)
        {
            handler.CookieContainer.Add(new System.Net.Cookie(c.Name, c.Value, c.Path, c.Domain));
        }
        using var http = new HttpClient(handler) { BaseAddress = new Uri(server.BaseUrl) };
        var upload = await http.PostAsync("/api/clouds/import", new StringContent(await File.ReadAllTextAsync(lab.CsvPath), Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        var list = await http.GetAsync("/api/clouds");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/clouds")).StatusCode);
    }
}
