using System.Globalization;
using System.Text.Json;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;
using GreenConsole.Tests.Core.Simulation;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Web.Jobs;

/// <summary>
/// The live controller and the what-if simulator agree: one short live migration on the ssh lab over the replayed trace,
/// then the simulator's greenconsole policy on the same clouds, thresholds, PUE, policy options and trace, for a job
/// started at the live job's start hour on the same source cloud, must migrate at the same trace hour to the same cloud.
/// </summary>
/// <remarks>
/// Hour mapping: the replay provider maps a clock instant to <c>TraceStart + (now - anchor)</c>, where the anchor is
/// the clock when the provider was built (offset 0, just after <see cref="MigrationTestHost.StartAsync"/> began). The
/// trace hour of a live decision is the floor of that replayed instant; the test measures it from a clock reading taken
/// before the host starts, which floors to the same hour because the test's real run time is far below one hour. The
/// simulator decides at the start of each trace hour, so its hour index h is the same slot as that floor. The mapping
/// is checked, not assumed: the intensities the live decision saw must equal the simulator's trace at that hour.
/// </remarks>
[Collection(SshLabCollection.Name)]
public sealed class MigrationSimulatorConsistencyTests(SshLabFixture lab) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-migration-sim-test-");
    private readonly MigrationTestClock _clock = new();

    public void Dispose() => _folder.Delete(recursive: true);

    private sealed record LiveDecision(int TraceHour, MigrationAction Action, string? TargetCloudId, JsonElement Inputs);

    [Fact]
    public async Task Simulator_migrates_at_the_same_trace_hour_to_the_same_cloud_as_the_live_controller()
    {
        var hostStartedAt = _clock.GetUtcNow();
        await using var host = await MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = "true",
            ["Migration:RestartSeconds"] = "1",
        });
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("CA-ON");
        var startOffset = await host.ArrangeThresholdsAsync("KR", "CA-ON");
        var trace = Hourly2023TraceLoader.LifeCycle;

        // Trace hour of a live instant: floor of the replayed instant, as an index into the simulator's trace.
        int TraceHour(DateTimeOffset now) =>
            (int)Math.Floor((MigrationLabData.TraceStart + (now - hostStartedAt) - trace.Start).TotalHours);

        var startHour = TraceHour(_clock.GetUtcNow());
        Assert.Equal((MigrationLabData.TraceStart + startOffset - trace.Start).TotalHours, startHour);

        // Cancelled once it moved, so a slower run costs nothing here; it must not finish on the source before the warm
        // standby on the target is ready on a loaded machine.
        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "sim-consistency", Epochs: 2, Seed: 17, StepDelayMs: 250), CancellationToken.None);
        await MigrationTestHost.WaitForAsync(async () =>
            (await DecisionsAsync(host, job.Id, TraceHour)).FirstOrDefault(d => d.Action == MigrationAction.Stay), Long, "a Stay decision at the start hour");
        _clock.Offset += TimeSpan.FromHours(1);
        await host.WaitForJobAsync(job.Id, j => j.CurrentCloudId == target.Id && j.Status == JobStatus.Running, Long, "the move to CA-ON");
        await host.Jobs.CancelAsync(job.Id, CancellationToken.None);

        var live = await DecisionsAsync(host, job.Id, TraceHour);
        var liveMigrate = live.First(d => d.Action == MigrationAction.Migrate);
        Assert.All(live.TakeWhile(d => d != liveMigrate), d => Assert.Equal((startHour, MigrationAction.Stay), (d.TraceHour, d.Action)));
        Assert.Equal(startHour + 1, liveMigrate.TraceHour);
        Assert.Equal(CloudKeys.Of(target.Id), liveMigrate.TargetCloudId);

        // The simulator, configured from the live host: its clouds (ids, zones, thresholds, PUE in list order), its
        // policy options and job defaults, the same trace file read by the simulator's own loader.
        var options = host.Services.GetRequiredService<IOptions<JobsOptions>>().Value;
        var clouds = await host.Clouds.ListAsync(CancellationToken.None);
        var powerKw = options.DefaultPowerWatts / 1000.0;
        var jobInputs = liveMigrate.Inputs.GetProperty("Job");
        var input = new SimulationInput
        {
            Clouds = [.. clouds.Select(c => new SimCloud(c.Zone, c.ThresholdGPerKwh ?? options.DefaultThresholdGPerKwh, c.Pue, CloudKeys.Of(c.Id)))],
            Job = new SimJob
            {
                // Whole hours: the start hour, the crossing hour and one more.
                LengthHours = 3,
                PowerKw = powerKw,
                IdlePowerKw = powerKw * options.Policy.IdlePowerFraction,
                CheckpointBytes = jobInputs.GetProperty("CheckpointBytes").GetInt64(),
                RestartSeconds = options.RestartSeconds,
                BandwidthBytesPerSecond = options.Policy.DefaultBandwidthBytesPerSecond,
            },
            Trace = trace,
            StartHours = [startHour],
            Options = new SimulationOptions { GreenConsole = options.Policy, GreenConsoleForecastHours = options.UseForecasts ? (int)options.Policy.PlanningHorizon.TotalHours : 0 },
        };
        var startIndex = clouds.ToList().FindIndex(c => c.Id == source.Id);
        var simulated = CarbonSimulator.TraceGreenConsole(input, startHour, startIndex);

        // Same inputs at the decisive hour: the live controller read the trace values the simulator uses (the replay
        // provider stores them as float32, hence the comparison at float precision).
        foreach (var cloud in liveMigrate.Inputs.GetProperty("Clouds").EnumerateArray())
        {
            var zone = cloud.GetProperty("Zone").GetString()!;
            Assert.Equal((float)trace.Intensity[trace.IndexOf(zone)][liveMigrate.TraceHour], (float)cloud.GetProperty("IntensityGPerKwh").GetDouble());
            var sim = input.Clouds.Single(c => c.CloudId == cloud.GetProperty("CloudId").GetString());
            Assert.Equal(sim.ThresholdGPerKwh, cloud.GetProperty("ThresholdGPerKwh").GetDouble(), 6);
            Assert.Equal(sim.Pue, cloud.GetProperty("Pue").GetDouble(), 6);

            // The policy planned with the trace's coming hours, the same ones the simulator's forecast reads.
            var forecast = cloud.GetProperty("Forecast").EnumerateArray().Select(p => (float)p.GetProperty("GPerKwh").GetDouble()).ToList();
            Assert.NotEmpty(forecast);
            Assert.Equal(
                Enumerable.Range(liveMigrate.TraceHour + 1, forecast.Count).Select(h => (float)trace.Intensity[trace.IndexOf(zone)][h]),
                forecast);
        }

        var simMigrate = simulated.First(d => d.Decision.Action == MigrationAction.Migrate);
        Assert.Equal((startHour, MigrationAction.Stay, MigrationReason.BelowThreshold), (simulated[0].Hour, simulated[0].Decision.Action, simulated[0].Decision.Reason));
        Assert.Equal(liveMigrate.TraceHour, simMigrate.Hour);
        Assert.Equal(CloudKeys.Of(source.Id), simMigrate.CloudId);
        Assert.Equal(liveMigrate.TargetCloudId, simMigrate.Decision.TargetCloudId);
        Assert.Equal(trace.Start.AddHours(liveMigrate.TraceHour), simMigrate.At);
    }

    /// <summary>The controller's logged decisions for a job, in order, each tagged with its trace hour.</summary>
    private static async Task<List<LiveDecision>> DecisionsAsync(MigrationTestHost host, string jobId, Func<DateTimeOffset, int> traceHour)
    {
        var result = new List<LiveDecision>();
        foreach (var e in (await host.Jobs.EventsAsync(jobId, CancellationToken.None)).Where(e => e.Kind == "Decision").OrderBy(e => e.Id))
        {
            using var doc = JsonDocument.Parse(e.DataJson!);
            var root = doc.RootElement.Clone();
            var now = DateTimeOffset.Parse(root.GetProperty("Now").GetString()!, CultureInfo.InvariantCulture);
            result.Add(new LiveDecision(
                traceHour(now),
                Enum.Parse<MigrationAction>(root.GetProperty("Action").GetString()!),
                root.GetProperty("TargetCloudId").GetString(),
                root));
        }

        return result;
    }
}
