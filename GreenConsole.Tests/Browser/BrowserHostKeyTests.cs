using GreenConsole.Agents.Ssh;
using GreenConsole.Tests.Lab;
using Microsoft.Playwright;

namespace GreenConsole.Tests.Browser;

/// <summary>A lab host really gets a new key: the app refuses it until an administrator reviews and trusts exactly that key.</summary>
[Collection(SshLabCollection.Name)]
public sealed class BrowserHostKeyTests(SshLabFixture lab) : IAsyncLifetime
{
    private GreenConsoleServer server = default!;
    private BrowserHarness browser = default!;

    public async Task InitializeAsync()
    {
        server = await GreenConsoleServer.StartWithLabAsync(lab.RepoRoot, lab.CsvPath);
        browser = await BrowserHarness.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Admin_reviews_a_changed_host_key_and_trusts_the_new_one()
    {
        var page = await browser.NewPageAsync();
        await BrowserHarness.LoginAsync(page, server.BaseUrl, GreenConsoleServer.AdminUser, GreenConsoleServer.AdminPassword);
        await BrowserHarness.GotoAsync(page, server.BaseUrl + "/clouds");
        await Assertions.Expect(page.Locator("[data-state=reachable]")).ToHaveCountAsync(lab.Clouds.Count, new() { Timeout = 60_000 });

        var cloud = lab.Cloud("US");
        var row = page.Locator("#clouds-grid tr", new() { HasText = cloud.Zone });
        var rowId = await row.GetAttributeAsync("data-cloud");
        await lab.RekeyAsync(cloud.Number);
        var fresh = KnownHosts.FingerprintOf((await File.ReadAllTextAsync(lab.HostKeyPublicFile(cloud))).Split(' ')[1]);

        // The next connection check refuses the new key and says so; nothing re-pins it by itself.
        await Assertions.Expect(row.Locator("[data-state=unreachable]")).ToContainTextAsync("HostKeyChanged", new() { Timeout = 60_000 });
        var review = page.Locator($"#review-key-{rowId}");
        await review.ClickAsync();
        var dialog = page.Locator("#host-key-review");
        await Assertions.Expect(dialog).ToContainTextAsync(fresh);
        // The dialog slides in; the screenshot waits for its animation to end (a condition, not a sleep).
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => a.playState !== 'running')");
        await BrowserHarness.ScreenshotAsync(page, lab.RepoRoot, "host-key-review");
        await dialog.Locator("button", new() { HasText = "Trust this key" }).ClickAsync();

        await Assertions.Expect(row.Locator("[data-state=reachable]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync(fresh[..20]);
        await Assertions.Expect(review).ToHaveCountAsync(0);
        Assert.Contains($"re-trusted the host key of cloud {rowId}", server.Log, StringComparison.Ordinal);
    }
}
