using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>Debian's Chromium driven by Playwright; `playwright install` is never run here.</summary>
public sealed class BrowserHarness : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private BrowserHarness(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    /// <param name="niceness">
    /// Above 0, Chromium runs under <c>nice</c>: in production the browsers sit on the users' machines, so a benchmark of
    /// server time on one small box lowers their priority rather than let them take the server's cores.
    /// </param>
    public static async Task<BrowserHarness> LaunchAsync(int niceness = 0)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/test.sh as root, or apt-get install -y chromium.");
        }
        var executable = ChromiumPath;
        if (niceness > 0 && !OperatingSystem.IsWindows())
        {
            executable = Path.Combine(Path.GetTempPath(), $"gc-chromium-nice{niceness}.sh");
            await File.WriteAllTextAsync(executable, $"#!/bin/sh\nexec nice -n {niceness} {ChromiumPath} \"$@\"\n");
            File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
        return new BrowserHarness(playwright, browser);
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 720)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(30_000);
        var page = await context.NewPageAsync();
        var log = Diagnostics.GetOrCreateValue(page);
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                Note(log, $"console {m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => Note(log, "page error: " + e);
        page.RequestFailed += (_, r) => Note(log, $"request failed: {r.Method} {r.Url}: {r.Failure}");
        page.WebSocket += (_, ws) =>
        {
            Note(log, "websocket opened: " + ws.Url);
            ws.Close += (_, _) => Note(log, "websocket closed: " + ws.Url);
            ws.SocketError += (_, e) => Note(log, $"websocket error: {ws.Url}: {e}");
        };
        return page;
    }

    /// <summary>What the browser said about each page: console errors, failed requests, the circuit's websocket.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Diagnostics = [];

    private static void Note(List<string> log, string line)
    {
        lock (log)
        {
            log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
    }

    private static string DiagnosticsOf(IPage page)
    {
        if (!Diagnostics.TryGetValue(page, out var log))
        {
            return "(no diagnostics recorded)";
        }
        lock (log)
        {
            return log.Count == 0 ? "(the browser reported nothing)" : string.Join(Environment.NewLine, log.TakeLast(40));
        }
    }

    public static async Task LoginAsync(IPage page, string baseUrl, string user, string password)
    {
        await page.GotoAsync(baseUrl + "/account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await WaitInteractiveAsync(page);
    }

    /// <summary>
    /// Waits until the Blazor circuit has rendered the page interactively; clicks before that are lost. A page that
    /// never turns interactive (the static access-denied page, a circuit that does not start) fails with what the
    /// browser reported about it.
    /// </summary>
    public static async Task WaitInteractiveAsync(IPage page)
    {
        try
        {
            await page.Locator("#gc-interactive[data-interactive=yes]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{page.Url} did not become interactive.{Environment.NewLine}{DiagnosticsOf(page)}", e);
        }
    }

    public static async Task GotoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        if (page.Url.Contains("/account/denied", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The signed-in user was denied {url} (landed on {page.Url}).");
        }

        await WaitInteractiveAsync(page);
    }

    /// <summary>
    /// Signs in as the administrator in a context of its own and creates the users on the Users page, as an
    /// administrator would. With <paramref name="screenshotRepoRoot"/> the page is saved as the "users" screenshot.
    /// </summary>
    public async Task CreateUsersAsync(string baseUrl, string? screenshotRepoRoot, params (string Name, string Password, string Role)[] users)
    {
        var page = await NewPageAsync();
        await LoginAsync(page, baseUrl, GreenConsoleServer.AdminUser, GreenConsoleServer.AdminPassword);
        await GotoAsync(page, baseUrl + "/admin/users");
        foreach (var (name, password, role) in users)
        {
            await CreateUserAsync(page, name, password, role);
        }
        if (screenshotRepoRoot is not null)
        {
            await ScreenshotAsync(page, screenshotRepoRoot, "users");
        }
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// Runs a test class's remaining set-up; on failure stops the browser and the server before rethrowing, because
    /// xUnit does not call DisposeAsync when InitializeAsync fails and both would leak.
    /// </summary>
    public static async Task SetUpOrDisposeAsync(GreenConsoleServer server, BrowserHarness browser, Func<Task> setUp)
    {
        try
        {
            await setUp();
        }
        catch
        {
            await browser.DisposeAsync();
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a user the way an administrator does: on the Users page (the page must be open).</summary>
    public static async Task CreateUserAsync(IPage page, string name, string password, string role)
    {
        await page.FillAsync("#new-user input, input#new-user", name);
        await page.FillAsync("#new-password input, input#new-password", password);
        await page.Locator("#new-role").GetByText(role, new LocatorGetByTextOptions { Exact = true }).ClickAsync();
        await page.ClickAsync("button:has-text('Create user')");
        var row = page.Locator("#users-grid tr", new PageLocatorOptions { HasTextString = name });
        await Assertions.Expect(row).ToContainTextAsync(role);
    }

    public static async Task ScreenshotAsync(IPage page, string repoRoot, string name)
    {
        var dir = Path.Combine(repoRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = false });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
