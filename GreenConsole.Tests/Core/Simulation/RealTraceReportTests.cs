using System.Globalization;
using System.Text;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;
using Xunit.Abstractions;

namespace GreenConsole.Tests.Core.Simulation;

/// <summary>Runs the shipped 2023 data and prints the comparison table; asserts only what must hold (oracle is a bound).</summary>
public class RealTraceReportTests(ITestOutputHelper output)
{
    private static readonly SimCloud[] FiveClouds =
    [
        new("KR", 400), new("DE", 300), new("GB", 200), new("US-CAL-CISO", 250), new("CA-ON", 100),
    ];

    public static SimulationInput FiveCloudInput(int lengthHours, bool everyStartCloud)
    {
        var trace = Hourly2023TraceLoader.LifeCycle;
        var job = new SimJob
        {
            LengthHours = lengthHours,
            PowerKw = 0.4,
            CheckpointBytes = 100_000_000,
            RestartSeconds = 30,
            BandwidthBytesPerSecond = 50_000_000,
        };
        var options = new SimulationOptions
        {
            StartCloudIndices = everyStartCloud ? [0, 1, 2, 3, 4] : [0],
            GreenConsole = new MigrationPolicyOptions
            {
                MinimumDwell = TimeSpan.FromHours(1),
                HysteresisGPerKwh = 10,
                MinimumNetSavingGrams = 5,
                PlanningHorizon = TimeSpan.FromHours(6),
            },
        };
        return new SimulationInput
        {
            Clouds = FiveClouds,
            Job = job,
            Trace = trace,
            StartHours = SimulationInput.AllStartHours(trace, job, options),
            Options = options,
        };
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(48, false)]
    [InlineData(6, true)]
    [InlineData(48, true)]
    public void Five_clouds_2023(int lengthHours, bool everyStartCloud)
    {
        var input = FiveCloudInput(lengthHours, everyStartCloud);
        input.Options.IncludePerJob = true;
        var r = CarbonSimulator.Run(input);

        Assert.Equal(8760 - 2 * lengthHours + 1, r.Jobs);
        var oracle = r.PerJobGco2![PolicyNames.Oracle];
        foreach (var online in new[] { PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole })
            for (var i = 0; i < r.Jobs; i++)
                Assert.True(r.PerJobGco2[online][i] >= oracle[i] - 1e-6, $"{online} beat the oracle at job {i}");

        output.WriteLine($"2023 ci_lca, {lengthHours} h job, start cloud(s): {string.Join(",", r.StartClouds)}, {r.Jobs} start hours");
        output.WriteLine(Table(r));
    }

    [Fact]
    public void Full_year_benchmark_all_sixteen_zones()
    {
        var report = SimulationBenchmark.RunFullYear(Hourly2023TraceLoader.LifeCycle, 48);
        Assert.Equal(16, report.Clouds);
        Assert.Equal(8760 - 96 + 1, report.Jobs);
        Assert.True(report.Result.Oracle!.TotalGco2 <= report.Result.GreenConsole!.TotalGco2 + 1e-6);
        output.WriteLine($"Full year, 16 clouds, 48 h job, {report.Jobs} starts, {Environment.ProcessorCount} cores: all 5 policies {report.AllPolicies.TotalSeconds:0.00} s");
        foreach (var (name, t) in report.PerPolicy)
            output.WriteLine($"  {name,-17} {t.TotalSeconds,6:0.00} s");
        output.WriteLine(Table(report.Result));
    }

    private static string Table(SimulationResult r)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("policy            mean g/job   saving vs stay   saving %   share of oracle   moves/job   added h/job");
        foreach (var name in new[] { PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole, PolicyNames.Oracle, PolicyNames.TimeShift })
        {
            var p = r[name]!;
            sb.AppendLine(string.Format(ci, "{0,-17} {1,11:0.0} {2,16:0} {3,9:0.0}% {4,16} {5,11:0.00} {6,13:0.000}",
                name, p.MeanGco2PerJob, p.SavingVsStayG, p.SavingVsStayPct,
                p.ShareOfOracleSaving is { } s ? (s * 100).ToString("0.0", ci) + "%" : "-",
                p.MigrationsPerJob, p.AddedRunTimeHoursPerJob));
        }

        return sb.ToString();
    }
}
