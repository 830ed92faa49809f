using System.Text;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Web.Simulation;

namespace GreenConsole.Tests.Web.Simulation;

public class SimulationViewModelTests
{
    private static SimulationViewModel Create(IReadOnlyList<SimCloudSpec>? registered = null) => new(
        (_, _) => Task.FromResult(Hourly2023TraceLoader.LifeCycle),
        _ => Task.FromResult(registered ?? (IReadOnlyList<SimCloudSpec>)[]),
        new MigrationPolicyOptions());

    [Fact]
    public async Task Run_fills_rows_for_the_five_policies_and_reports_progress_to_one()
    {
        var vm = Create();
        await vm.InitializeAsync(CancellationToken.None);
        Assert.Equal(16, vm.AvailableZones.Count);
        vm.SelectedZones = ["KR", "CA-ON"];
        vm.From = new DateTime(2023, 3, 1);
        vm.To = new DateTime(2023, 3, 10);
        var changes = 0;
        vm.Changed += () => Interlocked.Increment(ref changes);

        Assert.True(await vm.RunAsync(CancellationToken.None), vm.Error);
        Assert.Equal(1.0, vm.Progress);
        Assert.False(vm.IsRunning);
        Assert.True(changes >= 2);
        Assert.Equal(["stay", "threshold-lowest", "greenconsole", "oracle", "time-shift"], vm.Rows.Select(r => r.Policy));
        Assert.Equal(240 - 12 + 1, vm.Result!.Jobs);
        var stay = vm.Rows[0].TotalKg;
        Assert.True(vm.Rows.Single(r => r.Policy == "oracle").TotalKg < stay);
        Assert.Equal(100, vm.Rows.Single(r => r.Policy == "oracle").ShareOfOraclePct!.Value, 6);
    }

    [Fact]
    public async Task Cancel_stops_a_run_and_says_so()
    {
        var vm = Create();
        vm.SelectedZones = Hourly2023TraceLoader.LifeCycle.Zones.ToArray();
        vm.JobHours = 48;
        vm.StartOnEveryCloud = true;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(await vm.RunAsync(cts.Token));
        Assert.Equal("Cancelled.", vm.Error);
        Assert.Empty(vm.Rows);

        var started = new TaskCompletionSource();
        vm.Changed += () => { if (vm.IsRunning && vm.Progress > 0) started.TrySetResult(); };
        var run = vm.RunAsync(CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        vm.Cancel();
        var finished = await run.WaitAsync(TimeSpan.FromSeconds(60));
        // A run that finished before the cancel landed is fine; otherwise it must say it was cancelled.
        Assert.True(finished || vm.Error == "Cancelled.", vm.Error);
    }

    [Fact]
    public async Task A_bad_upload_names_the_line_and_keeps_nothing()
    {
        var vm = Create();
        await vm.InitializeAsync(CancellationToken.None);
        var csv = HourlyTraceCsv.Header + "\n2023-01-01T00:00:00Z,AA,1,1,0\n2023-01-01T01:00:00Z,AA,x,1,0\n";
        Assert.False(await vm.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "bad.csv", CancellationToken.None));
        Assert.Contains("line 3: ci_direct 'x'", vm.Error);
        Assert.Null(vm.UploadedTrace);
        Assert.Equal(16, vm.AvailableZones.Count);

        var good = HourlyTraceCsv.Header + string.Concat(Enumerable.Range(0, 30).Select(h =>
            $"\n2023-01-01T{h % 24:00}:00:00Z,AA,{h},{h},0".Replace("2023-01-01", h < 24 ? "2023-01-01" : "2023-01-02", StringComparison.Ordinal)
            + $"\n2023-01-0{(h < 24 ? 1 : 2)}T{h % 24:00}:00:00Z,BB,50,50,0"));
        Assert.True(await vm.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(good)), "good.csv", CancellationToken.None), vm.Error);
        Assert.Equal(["AA", "BB"], vm.AvailableZones);
        vm.JobHours = 2;
        Assert.True(await vm.RunAsync(CancellationToken.None), vm.Error);
        Assert.Equal(30 - 4 + 1, vm.Result!.Jobs);
    }

    [Fact]
    public async Task Registered_clouds_mode_uses_the_registry()
    {
        var vm = Create([new SimCloudSpec("GB", 150, 1.3, "7"), new SimCloudSpec("DE", null, 1.1, "9")]);
        vm.UseRegisteredClouds = true;
        vm.From = new DateTime(2023, 7, 1);
        vm.To = new DateTime(2023, 7, 3);
        Assert.True(await vm.RunAsync(CancellationToken.None), vm.Error);
        Assert.Equal(["7", "9"], vm.UsedClouds.Select(c => c.CloudId));
        Assert.Equal(150, vm.UsedClouds[0].ThresholdGPerKwh);
        Assert.Equal(1.3, vm.UsedClouds[0].Pue);

        var empty = Create();
        empty.UseRegisteredClouds = true;
        Assert.False(await empty.RunAsync(CancellationToken.None));
        Assert.Equal("No cloud is registered.", empty.Error);
    }
}
