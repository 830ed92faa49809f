using System.Text.Json;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Tests.Core.Simulation;

public class CarbonSimulatorTests
{
    private static readonly DateTimeOffset T0 = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // A is dirty, dirty, clean; B the opposite. A move costs 2 h × (0.5 kW × CI_src + 0.5 kW × CI_tgt).
    private static SimulationInput HandCase(int forecastHours = 0, SimPolicies policies = SimPolicies.All) => new()
    {
        Clouds = [new SimCloud("A", 300), new SimCloud("B", 300)],
        Job = new SimJob
        {
            LengthHours = 3,
            PowerKw = 1,
            IdlePowerKw = 0.5,
            CheckpointBytes = 7_200_000_000,
            RestartSeconds = 0,
            BandwidthBytesPerSecond = 1_000_000,
        },
        Trace = new CarbonTrace(T0, ["A", "B"], [[500, 500, 100, 100, 500, 500], [100, 100, 500, 500, 100, 100]]),
        StartHours = [0],
        Options = new SimulationOptions
        {
            GreenConsoleForecastHours = forecastHours,
            TimeShiftDeadlineFactor = 2,
            Policies = policies,
            GreenConsole = new MigrationPolicyOptions { MinimumDwell = TimeSpan.FromHours(1), MinimumNetSavingGrams = 5, HysteresisGPerKwh = 10 },
        },
    };

    [Fact]
    public void Hand_solved_case()
    {
        var r = CarbonSimulator.Run(HandCase());

        Assert.Equal(1100, r.Stay!.TotalGco2, 9);

        // Moves to B at h0 (600 g overhead) and back to A at h2 (600 g): 300 + 1200.
        Assert.Equal(1500, r.ThresholdLowest!.TotalGco2, 9);
        Assert.Equal(2, r.ThresholdLowest.Migrations);
        Assert.Equal(4, r.ThresholdLowest.AddedRunTimeHours, 9);

        // Persistence at h0 sees 3 × 500 vs 3 × 100 + 600 → moves; at h2 (1 h left) moving back costs more than it saves.
        Assert.Equal(600 + 100 + 100 + 500, r.GreenConsole!.TotalGco2, 9);
        Assert.Equal(1, r.GreenConsole.Migrations);

        // Best schedule: stay on A.
        Assert.Equal(1100, r.Oracle!.TotalGco2, 9);
        Assert.Equal(0, r.Oracle.Migrations);
        Assert.Equal(0, r.Oracle.SavingVsStayG!.Value, 9);
        Assert.Null(r.GreenConsole.ShareOfOracleSaving); // oracle saves nothing: no share

        // Time shift within 6 h on A: hours 0, 2, 3 = 700 g, one pause, done 1 h late.
        Assert.Equal(700, r.TimeShift!.TotalGco2, 9);
        Assert.Equal(1, r.TimeShift.Pauses);
        Assert.Equal(1, r.TimeShift.AddedRunTimeHours, 9);
        Assert.Equal(400, r.TimeShift.SavingVsStayG!.Value, 9);
        Assert.Equal(400.0 / 1100 * 100, r.TimeShift.SavingVsStayPct!.Value, 9);
    }

    [Fact]
    public void Greenconsole_decision_trace_shows_each_hour_of_the_hand_case()
    {
        var input = HandCase();

        var log = CarbonSimulator.TraceGreenConsole(input, startHour: 0, startCloudIndex: 0);

        Assert.Equal([0, 1, 2], log.Select(d => d.Hour));
        Assert.Equal([T0, T0.AddHours(1), T0.AddHours(2)], log.Select(d => d.At));
        Assert.Equal(["A", "B", "B"], log.Select(d => d.CloudId));
        Assert.Equal([MigrationAction.Migrate, MigrationAction.Stay, MigrationAction.Stay], log.Select(d => d.Decision.Action));
        Assert.Equal("B", log[0].Decision.TargetCloudId);
        Assert.Equal(MigrationReason.BelowThreshold, log[1].Decision.Reason);
        Assert.Equal(MigrationReason.NoCandidate, log[2].Decision.Reason);
        Assert.Equal(CarbonSimulator.Run(input).GreenConsole!.Migrations, log.Count(d => d.Decision.Action == MigrationAction.Migrate));

        // Started on B at hour 1: below threshold, then B turns dirty with 1 h left, too little to pay for a move.
        var fromB = CarbonSimulator.TraceGreenConsole(input with { Job = input.Job with { LengthHours = 2 } }, startHour: 1, startCloudIndex: 1);
        Assert.Equal([1, 2], fromB.Select(d => d.Hour));
        Assert.Equal([MigrationReason.BelowThreshold, MigrationReason.NoCandidate], fromB.Select(d => d.Decision.Reason));
    }

    [Fact]
    public void Greenconsole_with_a_perfect_forecast_matches_the_oracle_in_the_hand_case()
    {
        var r = CarbonSimulator.Run(HandCase(forecastHours: 6));
        Assert.Equal(1100, r.GreenConsole!.TotalGco2, 9);
        Assert.Equal(0, r.GreenConsole.Migrations);
    }

    [Fact]
    public void Greenconsole_uses_the_policy_options()
    {
        var input = HandCase();
        input.Options.GreenConsole.MinimumNetSavingGrams = 1e9;
        var r = CarbonSimulator.Run(input);
        Assert.Equal(r.Stay!.TotalGco2, r.GreenConsole!.TotalGco2, 9);
        Assert.Equal(0, r.GreenConsole.Migrations);
    }

    [Fact]
    public void Json_uses_the_exact_policy_names()
    {
        var json = JsonSerializer.Serialize(CarbonSimulator.Run(HandCase()));
        using var doc = JsonDocument.Parse(json);
        foreach (var name in new[] { "stay", "threshold-lowest", "greenconsole", "oracle", "time-shift" })
        {
            Assert.True(doc.RootElement.TryGetProperty(name, out var p), name);
            Assert.True(p.TryGetProperty("total_gco2", out _), name);
        }

        Assert.Equal(1100, doc.RootElement.GetProperty("stay").GetProperty("total_gco2").GetDouble(), 9);
        var back = JsonSerializer.Deserialize<SimulationResult>(json)!;
        Assert.Equal(1500, back.ThresholdLowest!.TotalGco2, 9);
    }

    [Fact]
    public void Unselected_policies_are_left_out()
    {
        var r = CarbonSimulator.Run(HandCase(policies: SimPolicies.Stay | SimPolicies.Oracle));
        Assert.NotNull(r.Oracle);
        Assert.Null(r.GreenConsole);
        Assert.Null(r.TimeShift);
        Assert.DoesNotContain("greenconsole", JsonSerializer.Serialize(r));
    }

    [Fact]
    public void Reports_progress_up_to_one()
    {
        var input = RandomInput(new Random(5), clouds: 3, length: 4, hours: 200);
        var seen = new List<double>();
        CarbonSimulator.Run(input, new SyncProgress(seen));
        Assert.NotEmpty(seen);
        Assert.Equal(1.0, seen[^1]);
        Assert.All(seen, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var input = RandomInput(new Random(6), clouds: 3, length: 4, hours: 200);
        Assert.ThrowsAny<OperationCanceledException>(() => CarbonSimulator.Run(input, null, cts.Token));
    }

    [Fact]
    public void Start_hour_without_room_is_a_clear_error()
    {
        var input = HandCase() with { StartHours = [1] };
        var ex = Assert.Throws<ArgumentException>(() => CarbonSimulator.Run(input));
        Assert.Contains("Start hour 1", ex.Message);
    }

    [Fact]
    public void Unknown_zone_is_a_clear_error()
    {
        var input = HandCase() with { Clouds = [new SimCloud("A", 300), new SimCloud("XX", 300)] };
        var ex = Assert.Throws<ArgumentException>(() => CarbonSimulator.Run(input));
        Assert.Contains("'XX'", ex.Message);
    }

    [Fact]
    public void All_start_hours_leave_room_for_the_deadline()
    {
        var input = HandCase();
        Assert.Equal([0], SimulationInput.AllStartHours(input.Trace, input.Job, input.Options));
        var noShift = new SimulationOptions { Policies = SimPolicies.Stay };
        Assert.Equal([0, 1, 2, 3], SimulationInput.AllStartHours(input.Trace, input.Job, noShift));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    public void Oracle_equals_brute_force_and_bounds_every_online_policy(int seed)
    {
        var rng = new Random(seed);
        var clouds = 1 + seed % 3;
        var length = 1 + seed % 5;
        var input = RandomInput(rng, clouds, length, hours: 3 * length + 4);
        if (seed % 4 >= 2)
            input = input with { Job = input.Job with { BandwidthMatrix = null } }; // the O(L·N) uniform-bandwidth path
        input.Options.IncludePerJob = true;
        input.Options.GreenConsoleForecastHours = seed % 2 == 0 ? 0 : 3;
        var r = CarbonSimulator.Run(input);

        var perJob = r.PerJobGco2!;
        for (var i = 0; i < input.StartHours.Count; i++)
        {
            var s = input.StartHours[i];
            var brute = input.Options.StartCloudIndices.Average(c0 => BruteForceMigrations(input, s, c0));
            Assert.Equal(brute, perJob[PolicyNames.Oracle][i], 6);
            foreach (var online in new[] { PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole })
                Assert.True(perJob[online][i] >= perJob[PolicyNames.Oracle][i] - 1e-6, $"{online} beat the oracle at start {s}");

            var shift = input.Options.StartCloudIndices.Average(c0 => BruteForceTimeShift(input, s, c0));
            Assert.Equal(shift, perJob[PolicyNames.TimeShift][i], 6);
        }

        Assert.True(r.Oracle!.TotalGco2 <= r.GreenConsole!.TotalGco2 + 1e-6);
        Assert.True(r.Oracle.TotalGco2 <= r.ThresholdLowest!.TotalGco2 + 1e-6);
        Assert.True(r.Oracle.TotalGco2 <= r.Stay!.TotalGco2 + 1e-6);
    }

    [Fact]
    public void Uniform_bandwidth_shortcut_matches_the_full_pairwise_oracle()
    {
        var input = RandomInput(new Random(42), clouds: 12, length: 24, hours: 400);
        var bw = input.Job.BandwidthBytesPerSecond;
        var matrix = new double[12, 12];
        for (var a = 0; a < 12; a++)
            for (var b = 0; b < 12; b++)
                matrix[a, b] = bw;
        input.Options.Policies = SimPolicies.Stay | SimPolicies.Oracle;
        input.Options.StartCloudIndices = Enumerable.Range(0, 12).ToArray();
        var uniform = CarbonSimulator.Run(input with { Job = input.Job with { BandwidthMatrix = null } });
        var pairwise = CarbonSimulator.Run(input with { Job = input.Job with { BandwidthMatrix = matrix } });
        Assert.Equal(pairwise.Oracle!.TotalGco2, uniform.Oracle!.TotalGco2, 6);
        Assert.True(uniform.Oracle.TotalGco2 < uniform.Stay!.TotalGco2);
    }

    /// <summary>Every cloud sequence, priced from the raw inputs (independent of the simulator's precomputation).</summary>
    private static double BruteForceMigrations(SimulationInput input, int s, int c0)
    {
        var n = input.Clouds.Count;
        var l = input.Job.LengthHours;
        var best = double.PositiveInfinity;
        var seq = new int[l];
        var total = (int)Math.Pow(n, l);
        for (var code = 0; code < total; code++)
        {
            var x = code;
            for (var k = 0; k < l; k++)
            {
                seq[k] = x % n;
                x /= n;
            }

            double g = 0;
            var prev = c0;
            for (var k = 0; k < l; k++)
            {
                var t = s + k;
                var c = seq[k];
                if (c != prev)
                {
                    var bw = input.Job.BandwidthMatrix?[prev, c] ?? input.Job.BandwidthBytesPerSecond;
                    var downtimeH = (input.Job.CheckpointBytes / bw + input.Job.RestartSeconds) / 3600.0;
                    g += downtimeH * (input.Job.IdleKw * input.Clouds[prev].Pue * Ci(input, prev, t)
                                      + input.Job.IdleKw * input.Clouds[c].Pue * Ci(input, c, t));
                }

                g += input.Job.PowerKw * input.Clouds[c].Pue * Ci(input, c, t);
                prev = c;
            }

            best = Math.Min(best, g);
        }

        return best;
    }

    /// <summary>Every set of L hours within the deadline on the start cloud; a resume after a gap costs restart × idle.</summary>
    private static double BruteForceTimeShift(SimulationInput input, int s, int c0)
    {
        var l = input.Job.LengthHours;
        var d = (int)Math.Ceiling(l * input.Options.TimeShiftDeadlineFactor - 1e-9);
        var pue = input.Clouds[c0].Pue;
        var best = double.PositiveInfinity;
        for (var mask = 0; mask < 1 << d; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != l)
                continue;
            double g = 0;
            var started = false;
            for (var k = 0; k < d; k++)
            {
                if ((mask & (1 << k)) == 0)
                    continue;
                var ci = Ci(input, c0, s + k);
                if (started && (mask & (1 << (k - 1))) == 0)
                    g += input.Job.RestartSeconds / 3600.0 * input.Job.IdleKw * pue * ci;
                g += input.Job.PowerKw * pue * ci;
                started = true;
            }

            best = Math.Min(best, g);
        }

        return best;
    }

    private static double Ci(SimulationInput input, int cloud, int t) =>
        input.Trace.Intensity[input.Trace.IndexOf(input.Clouds[cloud].Zone)][t];

    private static SimulationInput RandomInput(Random rng, int clouds, int length, int hours)
    {
        var zones = Enumerable.Range(0, clouds).Select(i => $"Z{i}").ToArray();
        var trace = new CarbonTrace(T0, zones,
            zones.Select(_ => Enumerable.Range(0, hours).Select(_ => Math.Round(rng.NextDouble() * 600, 1)).ToArray()).ToArray());
        var bw = new double[clouds, clouds];
        for (var a = 0; a < clouds; a++)
            for (var b = 0; b < clouds; b++)
                bw[a, b] = 1_000_000 * (0.2 + rng.NextDouble() * 5);
        var job = new SimJob
        {
            LengthHours = length,
            PowerKw = 0.2 + rng.NextDouble(),
            IdlePowerKw = 0.05 + rng.NextDouble() * 0.2,
            CheckpointBytes = (long)(rng.NextDouble() * 4_000_000_000),
            RestartSeconds = rng.Next(0, 1800),
            BandwidthBytesPerSecond = 1_000_000 * (0.2 + rng.NextDouble() * 5),
            BandwidthMatrix = bw,
        };
        var options = new SimulationOptions
        {
            TimeShiftDeadlineFactor = 1 + rng.NextDouble(),
            StartCloudIndices = clouds > 1 && rng.Next(2) == 0 ? Enumerable.Range(0, clouds).ToArray() : [rng.Next(clouds)],
            GreenConsole = new MigrationPolicyOptions { MinimumDwell = TimeSpan.FromHours(rng.Next(0, 3)), MinimumNetSavingGrams = 1 },
        };
        var input = new SimulationInput
        {
            Clouds = zones.Select(z => new SimCloud(z, rng.Next(50, 500), 1 + Math.Round(rng.NextDouble() * 0.5, 2))).ToArray(),
            Job = job,
            Trace = trace,
            StartHours = [],
            Options = options,
        };
        return input with { StartHours = SimulationInput.AllStartHours(trace, job, options) };
    }

    private sealed class SyncProgress(List<double> sink) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (sink)
                sink.Add(value);
        }
    }
}
