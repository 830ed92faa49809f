using GreenConsole.Core.Accounting;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Telemetry;
using Microsoft.AspNetCore.Components;

namespace GreenConsole.Web.Components.Pages;

public partial class Home
{
    private CarbonMapSnapshot? snapshot;
    private FleetImpact impact = FleetImpact.Empty;

    [Inject]
    private CarbonMapStore MapStore { get; set; } = default!;

    [Inject]
    private TelemetryStore Telemetry { get; set; } = default!;

    protected override void OnInitialized()
    {
        snapshot = MapStore.Current;
        impact = FleetImpact.From(Telemetry);
        Hold(MapStore.Changes.Subscribe(() => RenderLaterAsync(() => snapshot = MapStore.Current)));
        Hold(Telemetry.Changes.Subscribe(() => RenderLaterAsync(() => impact = FleetImpact.From(Telemetry)), TimeSpan.FromSeconds(1)));
    }
}

/// <summary>The Overview's impact card: the whole fleet's power now, energy and emissions since start.</summary>
public sealed record FleetImpact(double Watts, double Kwh, double Grams, IReadOnlyList<Equivalent> Equivalents)
{
    public static FleetImpact Empty { get; } = new(0, 0, 0, []);

    public static FleetImpact From(TelemetryStore store)
    {
        var all = store.All;
        var grams = all.Sum(t => t.CumulativeGrams);
        return new FleetImpact(all.Sum(t => t.LatestPoint?.PowerWatts ?? 0), all.Sum(t => t.CumulativeKwh), grams, Core.Accounting.Equivalents.For(grams));
    }
}
