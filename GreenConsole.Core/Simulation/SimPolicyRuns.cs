using GreenConsole.Core.Migration;

namespace GreenConsole.Core.Simulation;

/// <summary>Outcome of one job under one policy from one start cloud.</summary>
internal struct JobOutcome
{
    public double Grams;
    public int Migrations;
    public int Pauses;
    public double AddedHours;
}

/// <summary>
/// Per-job runs of each policy. All share the same accounting: hour t on cloud c costs <c>Run[c][t]</c>; a move a→b
/// at the start of hour t costs <see cref="SimModel.Overhead"/> and adds its downtime to the run time. The downtime
/// (seconds) is not carved out of the hourly slots: compute energy is the same whatever the schedule, and the few
/// seconds' shift of the slot boundaries is ignored, for every policy alike.
/// </summary>
internal static class SimPolicyRuns
{
    public static JobOutcome Stay(SimModel m, int s, int c0) =>
        new() { Grams = m.Prefix[c0][s + m.L] - m.Prefix[c0][s] };

    /// <summary>
    /// The Green Accounting Platform's rule: whenever the current cloud is above its threshold, move to the cloud with
    /// the lowest intensity in that hour (first in list order on ties) if it is lower, ignoring the move's cost.
    /// </summary>
    public static JobOutcome ThresholdLowest(SimModel m, int s, int c0)
    {
        var o = new JobOutcome();
        var cur = c0;
        var n = m.N;
        for (var k = 0; k < m.L; k++)
        {
            var t = s + k;
            if (m.Ci[cur][t] > m.Threshold[cur])
            {
                var lo = 0;
                for (var c = 1; c < n; c++)
                    if (m.Ci[c][t] < m.Ci[lo][t])
                        lo = c;
                if (lo != cur && m.Ci[lo][t] < m.Ci[cur][t])
                {
                    o.Grams += m.Overhead(cur, lo, t);
                    o.AddedHours += m.DowntimeHours[cur * n + lo];
                    o.Migrations++;
                    cur = lo;
                }
            }

            o.Grams += m.Run[cur][t];
        }

        return o;
    }

    /// <summary>
    /// Calls the production <see cref="MigrationPolicy"/> at the start of every hour. A fresh job counts as having
    /// arrived one dwell time ago: the dwell guard stops ping-pong after a move, not the first placement.
    /// With <paramref name="log"/>, every hour's decision is appended to it (used to compare with the live controller).
    /// </summary>
    public static JobOutcome GreenConsole(SimModel m, MigrationPolicy policy, int s, int c0, List<SimHourDecision>? log = null)
    {
        var o = new JobOutcome();
        var cur = c0;
        var arrived = m.TimeOf(s) - m.PolicyOptions.MinimumDwell;
        var restart = TimeSpan.FromSeconds(m.Job.RestartSeconds);
        var idle = m.Job.IdleKw;
        for (var k = 0; k < m.L; k++)
        {
            var t = s + k;
            var now = m.TimeOf(t);
            var decision = policy.Decide(new MigrationRequest
            {
                Now = now,
                Job = new MigrationJob
                {
                    JobId = "sim",
                    CurrentCloudId = m.Ids[cur],
                    ArrivedOnCurrentAt = arrived,
                    ExpectedRemaining = TimeSpan.FromHours(m.L - k),
                    PowerKw = m.Job.PowerKw,
                    IdlePowerKw = idle,
                    CheckpointBytes = m.Job.CheckpointBytes,
                    RestartTime = restart,
                },
                Clouds = m.StatesAt(t),
                MeasuredBandwidth = m.MeasuredBandwidth,
            });
            log?.Add(new SimHourDecision(t, now, m.Ids[cur], decision));
            if (decision.Action == MigrationAction.Migrate)
            {
                var target = m.IdIndex[decision.TargetCloudId!];
                o.Grams += m.Overhead(cur, target, t);
                o.AddedHours += m.DowntimeHours[cur * m.N + target];
                o.Migrations++;
                cur = target;
                arrived = now;
            }

            o.Grams += m.Run[cur][t];
        }

        return o;
    }

    /// <summary>Scratch buffers for the dynamic programmes, one per worker thread.</summary>
    internal sealed class Workspace(SimModel m)
    {
        public readonly double[] V = new double[m.N];
        public readonly double[] IdleRow = new double[m.N];
        public readonly double[] A = new double[m.N];
        public readonly short[] Choice = new short[m.L * m.N];
        public readonly double[] Layer = new double[(m.L + 1) * 3];
        public readonly double[] NextLayer = new double[(m.L + 1) * 3];
        public readonly byte[] Runs = new byte[m.DeadlineHours * (m.L + 1) * 3];
    }

    /// <summary>
    /// Offline optimum over hours × clouds, with every move charged exactly as the online policies are charged.
    /// V_k(c) = min over c' of [move(c→c', hour s+k) if c' ≠ c] + run(c', s+k) + V_{k+1}(c'), V_L = 0, where c is
    /// where the job is before the decision at hour k. One backward pass answers every start cloud; staying wins
    /// ties. With one bandwidth for all pairs the move cost splits into a source and a target part, so the inner
    /// minimum is the best (or, for the best cloud itself, second-best) target: O(L·N) instead of O(L·N²).
    /// Writes one outcome per entry of <paramref name="startClouds"/>.
    /// </summary>
    public static void Oracle(SimModel m, int s, IReadOnlyList<int> startClouds, Workspace ws, Span<JobOutcome> results)
    {
        var n = m.N;
        var v = ws.V;
        var a = ws.A;
        var idleRow = ws.IdleRow;
        var choice = ws.Choice;
        Array.Clear(v);
        var dt = m.DowntimeHours;
        var uniform = m.UniformDowntimeHours;
        for (var k = m.L - 1; k >= 0; k--)
        {
            var t = s + k;
            for (var c = 0; c < n; c++)
            {
                a[c] = m.Run[c][t] + v[c];
                idleRow[c] = m.Idle[c][t];
            }

            if (uniform is { } d)
            {
                double min1 = double.PositiveInfinity, min2 = double.PositiveInfinity;
                int arg1 = -1, arg2 = -1;
                for (var c = 0; c < n; c++)
                {
                    var val = d * idleRow[c] + a[c];
                    if (val < min1)
                    {
                        min2 = min1;
                        arg2 = arg1;
                        min1 = val;
                        arg1 = c;
                    }
                    else if (val < min2)
                    {
                        min2 = val;
                        arg2 = c;
                    }
                }

                for (var c = 0; c < n; c++)
                {
                    var (bestOther, other) = arg1 != c ? (min1, arg1) : (min2, arg2);
                    var move = d * idleRow[c] + bestOther;
                    if (other >= 0 && move < a[c])
                    {
                        v[c] = move;
                        choice[k * n + c] = (short)other;
                    }
                    else
                    {
                        v[c] = a[c];
                        choice[k * n + c] = (short)c;
                    }
                }
            }
            else
            {
                for (var c = 0; c < n; c++)
                {
                    var best = a[c];
                    var arg = c;
                    var row = c * n;
                    for (var c2 = 0; c2 < n; c2++)
                    {
                        if (c2 == c)
                            continue;
                        var val = dt[row + c2] * (idleRow[c] + idleRow[c2]) + a[c2];
                        if (val < best)
                        {
                            best = val;
                            arg = c2;
                        }
                    }

                    v[c] = best;
                    choice[k * n + c] = (short)arg;
                }
            }
        }

        for (var i = 0; i < startClouds.Count; i++)
        {
            var c0 = startClouds[i];
            var o = new JobOutcome { Grams = v[c0] };
            var cur = c0;
            for (var k = 0; k < m.L; k++)
            {
                var next = choice[k * n + cur];
                if (next != cur)
                {
                    o.Migrations++;
                    o.AddedHours += dt[cur * n + next];
                    cur = next;
                }
            }

            results[i] = o;
        }
    }

    /// <summary>
    /// Time shifting on the start cloud, no moves: run L of the first D = ceil(L × factor) hours. Paused hours draw
    /// nothing; each resume after a pause costs the restart time at idle power. Solved exactly by a DP over
    /// (hour, hours done, not-started/running/paused); running wins ties, so work is done as early as it is free.
    /// </summary>
    public static JobOutcome TimeShift(SimModel m, int s, int c0, Workspace ws)
    {
        var l = m.L;
        var d = m.DeadlineHours;
        var next = ws.NextLayer;
        var layer = ws.Layer;
        var runs = ws.Runs;
        var run = m.Run[c0];
        var idle = m.Idle[c0];
        var restart = m.RestartHours;

        Array.Fill(next, double.PositiveInfinity);
        next[l * 3 + 1] = 0;
        next[l * 3 + 2] = 0;

        for (var k = d - 1; k >= 0; k--)
        {
            var t = s + k;
            var runCost = run[t];
            var resumeCost = restart * idle[t];
            // Only the band of feasible (hour, done) cells is written; every read below stays inside the band
            // written for hour k + 1, so stale cells from an earlier job are never seen.
            var jMin = Math.Max(0, l - (d - k));
            var jMax = Math.Min(k, l);
            for (var j = jMin; j <= jMax; j++)
            {
                var rem = l - j;
                var canWait = rem <= d - k - 1;
                for (var p = j == 0 ? 0 : 1; p <= (j == 0 ? 0 : 2); p++)
                {
                    var idx = j * 3 + p;
                    var cell = (k * (l + 1) + j) * 3 + p;
                    if (rem == 0)
                    {
                        layer[idx] = 0;
                        runs[cell] = 0;
                        continue;
                    }

                    var best = runCost + (p == 2 ? resumeCost : 0) + next[(j + 1) * 3 + 1];
                    byte r = 1;
                    if (canWait)
                    {
                        var wait = next[j * 3 + (p == 0 ? 0 : 2)];
                        if (wait < best)
                        {
                            best = wait;
                            r = 0;
                        }
                    }

                    layer[idx] = best;
                    runs[cell] = r;
                }
            }

            (layer, next) = (next, layer);
        }

        var o = new JobOutcome { Grams = next[0] };
        int jj = 0, pp = 0, lastRun = -1;
        for (var k = 0; jj < l; k++)
        {
            if (runs[(k * (l + 1) + jj) * 3 + pp] == 1)
            {
                if (pp == 2)
                {
                    o.Pauses++;
                    o.AddedHours += restart;
                }

                jj++;
                pp = 1;
                lastRun = k;
            }
            else
            {
                pp = pp == 0 ? 0 : 2;
            }
        }

        o.AddedHours += lastRun + 1 - l;
        return o;
    }
}
