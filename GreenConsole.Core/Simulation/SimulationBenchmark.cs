using System.Diagnostics;

namespace GreenConsole.Core.Simulation;

/// <summary>Timing of the full-year case, for the report (no test asserts on time).</summary>
public sealed record SimulationBenchmarkReport(
    TimeSpan AllPolicies,
    IReadOnlyDictionary<string, TimeSpan> PerPolicy,
    int Jobs,
    int Clouds,
    int JobLengthHours,
    SimulationResult Result);

public static class SimulationBenchmark
{
    /// <summary>
    /// Every zone of <paramref name="trace"/> as a cloud (threshold = the zone's mean intensity, PUE 1.1), a job of
    /// <paramref name="jobLengthHours"/> h at 0.4 kW with a 100 MB checkpoint, 30 s restart and 50 MB/s, started at
    /// every hour that leaves room for it: first all five policies together, then each alone.
    /// </summary>
    public static SimulationBenchmarkReport RunFullYear(CarbonTrace trace, int jobLengthHours = 48, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var clouds = new SimCloud[trace.Zones.Count];
        for (var z = 0; z < clouds.Length; z++)
            clouds[z] = new SimCloud(trace.Zones[z], trace.Intensity[z].Average(), 1.1);
        var job = new SimJob
        {
            LengthHours = jobLengthHours,
            PowerKw = 0.4,
            CheckpointBytes = 100_000_000,
            RestartSeconds = 30,
            BandwidthBytesPerSecond = 50_000_000,
        };

        SimulationInput Input(SimPolicies policies)
        {
            var options = new SimulationOptions { Policies = policies };
            return new SimulationInput
            {
                Clouds = clouds,
                Job = job,
                Trace = trace,
                StartHours = SimulationInput.AllStartHours(trace, job, new SimulationOptions { Policies = SimPolicies.All }),
                Options = options,
            };
        }

        // Warm-up so JIT time is not billed to the first measurement.
        var warm = Input(SimPolicies.All) with { StartHours = [0, 1] };
        CarbonSimulator.Run(warm, null, cancellationToken);

        var sw = Stopwatch.StartNew();
        var result = CarbonSimulator.Run(Input(SimPolicies.All), null, cancellationToken);
        var all = sw.Elapsed;

        var per = new Dictionary<string, TimeSpan>();
        foreach (var (name, p) in new[]
                 {
                     (PolicyNames.Stay, SimPolicies.Stay), (PolicyNames.ThresholdLowest, SimPolicies.ThresholdLowest),
                     (PolicyNames.GreenConsole, SimPolicies.GreenConsole), (PolicyNames.Oracle, SimPolicies.Oracle),
                     (PolicyNames.TimeShift, SimPolicies.TimeShift),
                 })
        {
            sw.Restart();
            CarbonSimulator.Run(Input(p), null, cancellationToken);
            per[name] = sw.Elapsed;
        }

        return new SimulationBenchmarkReport(all, per, result.Jobs, clouds.Length, jobLengthHours, result);
    }
}
