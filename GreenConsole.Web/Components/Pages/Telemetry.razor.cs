using GreenConsole.Web.Clouds;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Telemetry;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Components.Pages;

public partial class Telemetry
{
    private IReadOnlyList<CloudSummary> clouds = [];
    private IReadOnlyList<CloudTelemetryRow> rows = [];
    private IReadOnlyCollection<int> selected = [];
    private TelemetryChartData charts = TelemetryChartData.Empty;
    private long chartsBuiltAt;

    /// <summary>A cloud to show first (links from the Jobs and Clouds pages): its row is marked and its series charted.</summary>
    [SupplyParameterFromQuery]
    public int? Cloud { get; set; }

    [Inject]
    private TelemetryStore Store { get; set; } = default!;

    [Inject]
    private CloudRepository Clouds { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IOptions<DashboardOptions> Options { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        clouds = await Clouds.ListAsync(PageToken);
        var defaults = TelemetryViewModel.DefaultChartSelection(Store, clouds, Options.Value.ChartClouds).ToList();
        if (Cloud is { } wanted && clouds.Any(c => c.Id == wanted) && !defaults.Contains(wanted))
        {
            defaults = [wanted, .. defaults.Take(Math.Max(0, Options.Value.ChartClouds - 1))];
        }

        selected = defaults;
        Refresh(chartsDue: true);
        Hold(Store.Changes.Subscribe(() => RenderLaterAsync(() =>
            Refresh(chartsDue: Time.GetElapsedTime(chartsBuiltAt) >= TimeSpan.FromSeconds(Options.Value.ChartRefreshSeconds))), TimeSpan.FromSeconds(1)));
    }

    private void SelectAsync(IReadOnlyCollection<int> value)
    {
        selected = value;
        Refresh(chartsDue: true);
    }

    private void Refresh(bool chartsDue)
    {
        rows = TelemetryViewModel.Rows(Store, clouds);
        if (chartsDue)
        {
            charts = TelemetryViewModel.Charts(Store, clouds, selected.ToHashSet());
            chartsBuiltAt = Time.GetTimestamp();
        }
    }
}

public static class TelemetryPageView
{
    /// <summary>
    /// The last hardware poll in words. A poll that reached no cloud while the rows hold fresh data is a cycle that
    /// found nothing due (every cloud was polled moments before), not an outage, so it is not shown as "0 ok".
    /// </summary>
    public static string PollLine(PollCycleResult? cycle, IReadOnlyList<CloudTelemetryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (cycle is null)
        {
            return rows.Count == 0 ? "" : "Waiting for the first hardware poll.";
        }

        if (cycle.Due == 0)
        {
            return "";
        }

        var failed = cycle.Failed > 0 ? $", {cycle.Failed} failed" : "";
        var running = cycle.StillRunning > 0 ? $", {cycle.StillRunning} still running" : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Last poll of {cycle.Due} due: {cycle.Succeeded} ok, {cycle.Unreachable} unreachable{failed}{running}, {cycle.Elapsed.TotalMilliseconds:0} ms.");
    }
}
