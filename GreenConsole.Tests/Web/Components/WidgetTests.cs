using Bunit;
using GreenConsole.Web.Components.Pages;
using GreenConsole.Web.Components.Widgets;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Tests.Web.Components;

public sealed class WidgetTests : MudTestContext
{
    private const string ChartModule = "./Components/Widgets/TimeSeriesChart.razor.js";

    [Fact]
    public async Task A_chart_creates_itself_in_its_module_updates_on_new_data_and_disposes()
    {
        var module = JSInterop.SetupModule(ChartModule);
        module.Setup<bool>("create", _ => true).SetResult(true);
        module.Setup<bool>("update", _ => true).SetResult(true);
        module.SetupVoid("dispose", _ => true).SetVoidResult();
        var first = ChartSpec.FromLines([(new ChartSeriesSpec("KR"), [(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), 400.0), (new DateTime(2026, 1, 1, 1, 0, 0, DateTimeKind.Utc), 410.0)])], "g/kWh");

        var cut = Render<TimeSeriesChart>(p => p.Add(c => c.Id, "intensity-chart").Add(c => c.Spec, first));

        cut.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "create"));
        Assert.Equal("1", cut.Find("#intensity-chart").GetAttribute("data-series"));
        Assert.Equal("2", cut.Find("#intensity-chart").GetAttribute("data-points"));

        var second = first with { Data = [[1, 2, 3], [1, 2, 3]] };
        cut.Render(p => p.Add(c => c.Spec, second));
        cut.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "update"));

        // The same spec again is not sent again.
        cut.Render(p => p.Add(c => c.Spec, second));
        Assert.Single(module.Invocations, i => i.Identifier == "update");

        await DisposeComponentsAsync();
        Assert.Single(module.Invocations, i => i.Identifier == "dispose");
    }

    [Fact]
    public void Series_with_their_own_instants_share_one_time_axis()
    {
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var spec = ChartSpec.FromLines(
        [
            (new ChartSeriesSpec("a"), [(t0, 1.0), (t0.AddHours(2), 3.0)]),
            (new ChartSeriesSpec("b", Dashed: true), [(t0.AddHours(1), 20.0)]),
        ], "x");

        Assert.Equal([1767225600, 1767229200, 1767232800], spec.Data[0].Select(v => v!.Value));
        Assert.Equal([1.0, null, 3.0], spec.Data[1]);
        Assert.Equal([null, 20.0, null], spec.Data[2]);
    }

    [Fact]
    public void Bars_over_categories_keep_the_table_order()
    {
        var spec = SimulateView.GramsPerPolicy(
        [
            new GreenConsole.Web.Simulation.SimulationRow("stay", 10, 1000, 0, 0, 0, 0),
            new GreenConsole.Web.Simulation.SimulationRow("greenconsole", 8, 800, 20, 80, 0.5, 0.1),
        ]);

        Assert.Equal(["stay", "greenconsole"], spec.Categories!);
        Assert.Equal([1000.0, 800.0], spec.Data[1]);
        Assert.False(spec.XIsTime);
    }

    [Theory]
    [InlineData(0, 0, 0, "")]
    [InlineData(3, 3, 0, "Last poll of 3 due: 3 ok, 0 unreachable, 12 ms.")]
    [InlineData(3, 1, 2, "Last poll of 3 due: 1 ok, 2 unreachable, 12 ms.")]
    public void The_poll_line_never_says_0_ok_for_a_cycle_with_nothing_due(int due, int ok, int unreachable, string expected)
    {
        var cycle = new PollCycleResult(DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(12), due, ok, unreachable, 0, 0);
        Assert.Equal(expected, TelemetryPageView.PollLine(cycle, []));
    }
}

public sealed class NavMenuTests : MudTestContext
{
    [Theory]
    [InlineData(new string[0], false, false)]
    [InlineData(new[] { GreenConsole.Web.Auth.Policies.Research, GreenConsole.Web.Auth.Policies.Operate }, true, false)]
    [InlineData(new[] { GreenConsole.Web.Auth.Policies.Research, GreenConsole.Web.Auth.Policies.Operate, GreenConsole.Web.Auth.Policies.Administer }, true, true)]
    public void The_menu_offers_terminals_and_users_by_role(string[] policies, bool terminals, bool users)
    {
        Authorization.SetAuthorized("someone");
        Authorization.SetPolicies(policies);

        var cut = RenderWithProviders<GreenConsole.Web.Components.Layout.NavMenu>();

        var links = cut.FindAll("#gc-nav a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/jobs", links);
        Assert.Equal(terminals, links.Contains("/terminals"));
        Assert.Equal(users, links.Contains("/admin/users"));
    }
}
