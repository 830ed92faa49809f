using Bunit;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using HomePage = GreenConsole.Web.Components.Pages.Home;

namespace GreenConsole.Tests.Web.Components;

public sealed class HomePageTests : MudTestContext
{
    public HomePageTests()
    {
        Services.AddSingleton<CarbonMapStore>();
        Services.AddSingleton(Options.Create(new TelemetryOptions()));
        Services.AddSingleton<TelemetryStore>();
        Services.AddSingleton(Options.Create(new MapOptions()));
        Authorization.SetAuthorized("researcher1");
    }

    private static CarbonMapSnapshot Snapshot(params MapCloud[] clouds) => new(DateTimeOffset.UtcNow, "LifeCycle", [], clouds, []);

    private static MapCloud Cloud(int id, string zone, double grams, string quality) =>
        new(id, "cloud " + id, zone, zone, null, null, grams, quality, "trace:electricitymaps-2023 · replay of 2023-12-04 10:00 UTC", 300, true, false);

    [Fact]
    public async Task The_clouds_card_follows_the_map_store_and_shows_each_figures_provenance()
    {
        var store = Services.GetRequiredService<CarbonMapStore>();
        var before = store.Changes.SubscriberCount;

        var cut = RenderWithProviders<HomePage>();
        Assert.NotEmpty(cut.FindAll(".mud-progress-linear"));

        store.Publish(Snapshot(Cloud(1, "KR", 443, "Replayed (2023)"), Cloud(2, "CA-ON", 40, "Replayed (2023)")));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#overview-clouds tbody tr").Count), TimeSpan.FromSeconds(5));
        var kr = cut.FindAll("#overview-clouds tbody tr")[0];
        Assert.Contains("Replayed (2023)", kr.TextContent, StringComparison.Ordinal);
        Assert.Contains("gc-state-bad", kr.InnerHtml, StringComparison.Ordinal);
        Assert.Equal("/telemetry?cloud=1", kr.QuerySelector("a")!.GetAttribute("href"));

        await DisposeComponentsAsync();
        Assert.Equal(before, store.Changes.SubscriberCount);
    }
}
