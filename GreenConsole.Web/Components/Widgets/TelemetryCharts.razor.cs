using GreenConsole.Web.Dashboard;
using Microsoft.AspNetCore.Components;

namespace GreenConsole.Web.Components.Widgets;

/// <summary>The Telemetry page's charts; their specs are rebuilt only when the page hands over new data.</summary>
public partial class TelemetryCharts
{
    private TelemetryChartData? built;
    private TelemetryChartData? rendered;
    private int hardwareTab;
    private int renderedTab;
    private ChartSpec intensity = ChartSpec.Empty;
    private ChartSpec emissions = ChartSpec.Empty;
    private ChartSpec cpu = ChartSpec.Empty;
    private ChartSpec gpu = ChartSpec.Empty;
    private ChartSpec memory = ChartSpec.Empty;
    private ChartSpec power = ChartSpec.Empty;

    [Parameter, EditorRequired]
    public TelemetryChartData Data { get; set; } = TelemetryChartData.Empty;

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(built, Data))
        {
            return;
        }

        built = Data;
        rendered ??= Data;
        intensity = IntensitySpec(Data);
        emissions = CloudSpec(Data.Emissions, "gCO₂eq", 320);
        cpu = CloudSpec(Data.Cpu, "%");
        gpu = CloudSpec(Data.Gpu, "%");
        memory = CloudSpec(Data.Memory, "%");
        power = CloudSpec(Data.Power, "W");
    }

    // The page re-renders every second for its table; the charts' markup only changes with new data or another tab.
    protected override bool ShouldRender()
    {
        var changed = !ReferenceEquals(rendered, Data) || renderedTab != hardwareTab;
        rendered = Data;
        renderedTab = hardwareTab;
        return changed;
    }

    /// <summary>Each zone's line, its threshold dashed, and triangles where a figure was not measured now.</summary>
    internal static ChartSpec IntensitySpec(TelemetryChartData data)
    {
        var lines = new List<(ChartSeriesSpec, IReadOnlyList<(DateTime, double)>)>();
        lines.AddRange(data.Intensity.Select(s => (new ChartSeriesSpec(s.Zone), Points(s.Points))));
        lines.AddRange(data.Thresholds.Select(t => (new ChartSeriesSpec(t.Zone, Dashed: true), Points(t.Points))));
        if (data.NotMeasured.Count > 0)
        {
            lines.Add((new ChartSeriesSpec("stale / fallback / estimated / replayed", PointsOnly: true, Colour: "#6d4c41"), Points(data.NotMeasured)));
        }

        return ChartSpec.FromLines(lines, "g/kWh", 320);
    }

    internal static ChartSpec CloudSpec(IReadOnlyList<CloudSeries> series, string unit, int height = 260) =>
        ChartSpec.FromLines([.. series.Select(s => (new ChartSeriesSpec(s.Name), Points(s.Points)))], unit, height);

    private static IReadOnlyList<(DateTime, double)> Points(IReadOnlyList<ChartPoint> points) => [.. points.Select(p => (p.At, p.Value))];
}
