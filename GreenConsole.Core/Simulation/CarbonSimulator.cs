using GreenConsole.Core.Migration;

namespace GreenConsole.Core.Simulation;

/// <summary>
/// Replays an hourly carbon trace for a job started at each given hour, under each policy, and aggregates the grams,
/// moves and delays. Pure CPU work over arrays: no I/O, no clock.
/// </summary>
/// <remarks>
/// <para>Policies: <c>stay</c> (never moves), <c>threshold-lowest</c> (moves to the lowest-intensity cloud whenever
/// its cloud is above threshold, ignoring cost), <c>greenconsole</c> (the production <see cref="MigrationPolicy"/>,
/// called every hour), <c>oracle</c> (offline optimum of moves with the same cost model: a lower bound for every
/// policy that runs hour slots without pausing, i.e. the first three), <c>time-shift</c> (pauses on the start cloud
/// within a deadline, never moves; a different action space, so it can beat the oracle).</para>
/// <para>Start cloud: <see cref="SimulationOptions.StartCloudIndices"/>, by default the first cloud in the list; with
/// several, each job's figures are the mean over its start clouds.</para>
/// </remarks>
public static class CarbonSimulator
{
    public static SimulationResult Run(SimulationInput input, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var model = SimModel.Build(input);
        var options = input.Options;
        var policies = options.Policies;
        var starts = input.StartHours;
        var startClouds = options.StartCloudIndices.ToArray();
        var jobs = starts.Count;
        var sc = startClouds.Length;

        MigrationPolicy? policy = null;
        if ((policies & SimPolicies.GreenConsole) != 0 && jobs > 0)
        {
            policy = new MigrationPolicy(model.PolicyOptions);
            var min = int.MaxValue;
            var max = 0;
            foreach (var s in starts)
            {
                min = Math.Min(min, s);
                max = Math.Max(max, s);
            }

            model.PrepareStates(min, max + model.L);
        }

        var order = new[] { SimPolicies.Stay, SimPolicies.ThresholdLowest, SimPolicies.GreenConsole, SimPolicies.Oracle, SimPolicies.TimeShift };
        var outcomes = new JobOutcome[order.Length][];
        for (var p = 0; p < order.Length; p++)
            outcomes[p] = (policies & order[p]) != 0 ? new JobOutcome[jobs * sc] : [];

        var done = 0;
        var step = Math.Max(1, jobs / 100);
        Parallel.For(
            0,
            jobs,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => new SimPolicyRuns.Workspace(model),
            (i, _, ws) =>
            {
                var s = starts[i];
                var baseIndex = i * sc;
                if ((policies & SimPolicies.Oracle) != 0)
                    SimPolicyRuns.Oracle(model, s, startClouds, ws, outcomes[3].AsSpan(baseIndex, sc));
                for (var k = 0; k < sc; k++)
                {
                    var c0 = startClouds[k];
                    if ((policies & SimPolicies.Stay) != 0)
                        outcomes[0][baseIndex + k] = SimPolicyRuns.Stay(model, s, c0);
                    if ((policies & SimPolicies.ThresholdLowest) != 0)
                        outcomes[1][baseIndex + k] = SimPolicyRuns.ThresholdLowest(model, s, c0);
                    if (policy is not null)
                        outcomes[2][baseIndex + k] = SimPolicyRuns.GreenConsole(model, policy, s, c0);
                    if ((policies & SimPolicies.TimeShift) != 0)
                        outcomes[4][baseIndex + k] = SimPolicyRuns.TimeShift(model, s, c0, ws);
                }

                var d = Interlocked.Increment(ref done);
                if (progress is not null && d % step == 0)
                    progress.Report((double)d / jobs);
                return ws;
            },
            _ => { });
        progress?.Report(1.0);

        var names = new[] { PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole, PolicyNames.Oracle, PolicyNames.TimeShift };
        var totals = new double?[order.Length];
        var perJob = options.IncludePerJob ? new Dictionary<string, double[]>() : null;
        for (var p = 0; p < order.Length; p++)
        {
            if (outcomes[p].Length == 0 && (policies & order[p]) == 0)
                continue;
            var grams = new double[jobs];
            double total = 0;
            for (var i = 0; i < jobs; i++)
            {
                double g = 0;
                for (var k = 0; k < sc; k++)
                    g += outcomes[p][i * sc + k].Grams;
                grams[i] = g / sc;
                total += grams[i];
            }

            totals[p] = total;
            perJob?.Add(names[p], grams);
        }

        var stayTotal = totals[0];
        var oracleSaving = stayTotal - totals[3];
        PolicyAggregate? Aggregate(int p)
        {
            if (totals[p] is not { } total)
                return null;
            double migrations = 0, pauses = 0, added = 0;
            foreach (var o in outcomes[p])
            {
                migrations += o.Migrations;
                pauses += o.Pauses;
                added += o.AddedHours;
            }

            migrations /= sc;
            pauses /= sc;
            added /= sc;
            var saving = stayTotal - total;
            return new PolicyAggregate
            {
                TotalGco2 = total,
                MeanGco2PerJob = jobs == 0 ? 0 : total / jobs,
                SavingVsStayG = saving,
                SavingVsStayPct = stayTotal is > 0 ? saving / stayTotal * 100.0 : null,
                ShareOfOracleSaving = oracleSaving is { } os && Math.Abs(os) > 1e-9 ? saving / os : null,
                Migrations = migrations,
                MigrationsPerJob = jobs == 0 ? 0 : migrations / jobs,
                Pauses = pauses,
                AddedRunTimeHours = added,
                AddedRunTimeHoursPerJob = jobs == 0 ? 0 : added / jobs,
            };
        }

        return new SimulationResult
        {
            Stay = Aggregate(0),
            ThresholdLowest = Aggregate(1),
            GreenConsole = Aggregate(2),
            Oracle = Aggregate(3),
            TimeShift = Aggregate(4),
            Jobs = jobs,
            JobLengthHours = model.L,
            StartClouds = startClouds.Select(i => model.Ids[i]).ToArray(),
            Clouds = model.Ids,
            PerJobGco2 = perJob,
        };
    }

    /// <summary>
    /// The greenconsole policy's decision at every hour of one job, started at trace hour <paramref name="startHour"/>
    /// on cloud <paramref name="startCloudIndex"/>: the same run that <see cref="Run"/> aggregates, hour by hour.
    /// <see cref="SimulationOptions.Policies"/> and <see cref="SimulationOptions.StartCloudIndices"/> are ignored.
    /// </summary>
    public static IReadOnlyList<SimHourDecision> TraceGreenConsole(SimulationInput input, int startHour, int startCloudIndex)
    {
        ArgumentNullException.ThrowIfNull(input);
        var single = input with
        {
            StartHours = [startHour],
            Options = new SimulationOptions
            {
                GreenConsole = input.Options.GreenConsole,
                StartCloudIndices = [startCloudIndex],
                TimeShiftDeadlineFactor = input.Options.TimeShiftDeadlineFactor,
                GreenConsoleForecastHours = input.Options.GreenConsoleForecastHours,
                Policies = SimPolicies.GreenConsole,
            },
        };
        var model = SimModel.Build(single);
        model.PrepareStates(startHour, startHour + model.L);
        var log = new List<SimHourDecision>(model.L);
        SimPolicyRuns.GreenConsole(model, new MigrationPolicy(model.PolicyOptions), startHour, startCloudIndex, log);
        return log;
    }
}
