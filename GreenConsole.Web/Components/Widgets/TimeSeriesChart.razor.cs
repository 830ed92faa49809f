using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace GreenConsole.Web.Components.Widgets;

/// <summary>
/// A uPlot chart (lines over time, or bars over categories) drawn in the browser: the server sends only the columns,
/// not an SVG per point, so a chart costs the circuit one message per refresh.
/// </summary>
public partial class TimeSeriesChart
{
    private readonly string _handle = Guid.NewGuid().ToString("n");
    private ElementReference element;
    private IJSObjectReference? module;
    private ChartSpec? drawn;
    private bool created;
    private volatile bool disposed;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private ILogger<TimeSeriesChart> Logger { get; set; } = default!;

    /// <summary>The element id (tests and the page's CSS find the chart by it).</summary>
    [Parameter, EditorRequired]
    public string Id { get; set; } = "";

    [Parameter, EditorRequired]
    public ChartSpec Spec { get; set; } = ChartSpec.Empty;

    // A chart re-renders only for a new spec: the markup around it changing every second must not redraw it.
    protected override bool ShouldRender() => !ReferenceEquals(drawn, Spec);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        try
        {
            if (firstRender)
            {
                module = await JS.InvokeAsync<IJSObjectReference>("import", "./Components/Widgets/TimeSeriesChart.razor.js");
                if (disposed)
                {
                    return;
                }

                drawn = Spec;
                created = await module.InvokeAsync<bool>("create", element, _handle, Spec);
                return;
            }

            if (created && module is not null && !disposed && !ReferenceEquals(drawn, Spec))
            {
                drawn = Spec;
                await module.InvokeAsync<bool>("update", _handle, Spec);
            }
        }
        catch (JSException ex)
        {
            // A chart that fails must not end the circuit; the rest of the page stays usable.
            Logger.LogWarning(ex, "Chart {Chart} could not be drawn", Id);
        }
        catch (Exception ex) when (ex is JSDisconnectedException or ObjectDisposedException or OperationCanceledException or TaskCanceledException)
        {
            // The circuit or the component went while the call was in flight: nothing is left to draw on.
        }
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        if (module is null)
        {
            return;
        }

        try
        {
            await module.InvokeVoidAsync("dispose", _handle);
            await module.DisposeAsync();
        }
        catch (Exception ex) when (ex is JSDisconnectedException or OperationCanceledException or ObjectDisposedException)
        {
            // The circuit is gone, and the chart with it.
        }
    }
}
