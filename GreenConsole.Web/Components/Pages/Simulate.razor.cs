using GreenConsole.Web.Components.Widgets;
using GreenConsole.Web.Simulation;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace GreenConsole.Web.Components.Pages;

public partial class Simulate
{
    // The simulator reports up to a hundred times per run from worker threads; a few renders a second suffice.
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(250);
    private long lastRender;
    private IReadOnlyList<SimulationRow>? charted;
    private ChartSpec chart = ChartSpec.Empty;

    [Inject]
    private SimulationViewModel Vm { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        Vm.Changed += OnChanged;
        await Vm.InitializeAsync(PageToken);
    }

    protected override void OnParametersSet() => Rechart();

    private void OnChanged()
    {
        if (Vm.IsRunning && lastRender != 0 && Time.GetElapsedTime(lastRender) < RenderEvery)
        {
            return;
        }

        lastRender = Time.GetTimestamp();
        _ = RenderLaterAsync(Rechart);
    }

    private void Rechart()
    {
        if (!ReferenceEquals(charted, Vm.Rows))
        {
            charted = Vm.Rows;
            chart = SimulateView.GramsPerPolicy(Vm.Rows);
        }
    }

    private Task RunAsync() => Vm.RunAsync(PageToken);

    private Task ClearUploadAsync() => Vm.ClearUploadAsync(PageToken);

    private async Task UploadAsync(InputFileChangeEventArgs e)
    {
        using var buffer = new MemoryStream();
        try
        {
            await using var stream = e.File.OpenReadStream(TraceInput.MaxUploadBytes, PageToken);
            await stream.CopyToAsync(buffer, PageToken);
        }
        catch (IOException ex)
        {
            await Vm.UploadAsync(new MemoryStream(), e.File.Name + $" ({ex.Message})", PageToken);
            return;
        }

        buffer.Position = 0;
        await Vm.UploadAsync(buffer, e.File.Name, PageToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Vm.Changed -= OnChanged;
        }

        base.Dispose(disposing);
    }
}

public static class SimulateView
{
    /// <summary>Bars of mean grams per job, one per policy, in the table's order.</summary>
    public static ChartSpec GramsPerPolicy(IReadOnlyList<SimulationRow> rows) =>
        ChartSpec.FromCategories([.. rows.Select(r => r.Policy)], [(new ChartSeriesSpec("mean g CO₂ per job"), [.. rows.Select(r => r.MeanGramsPerJob)])], "g CO₂/job") with { XLabel = "policy" };
}
