using System.Text.Json;
using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public class MigrationPolicyTests
{
    private static readonly DateTimeOffset Now = new(2023, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MigrationPolicyOptions Options(
        double minSaving = 5, double band = 10, TimeSpan? dwell = null, NoCandidateMode mode = NoCandidateMode.KeepRunning, TimeSpan? horizon = null) =>
        new()
        {
            MinimumNetSavingGrams = minSaving,
            HysteresisGPerKwh = band,
            MinimumDwell = dwell ?? TimeSpan.FromHours(1),
            NoCandidateMode = mode,
            PlanningHorizon = horizon ?? TimeSpan.FromHours(6),
            DefaultBandwidthBytesPerSecond = 1_000_000,
            IdlePowerFraction = 0.5,
        };

    private static MigrationJob Job(
        string current = "a", TimeSpan? arrivedAgo = null, double remainingHours = 2, long checkpoint = 0,
        bool paused = false, DateTimeOffset? deadline = null, double power = 1.0) =>
        new()
        {
            JobId = "job-1",
            CurrentCloudId = current,
            ArrivedOnCurrentAt = Now - (arrivedAgo ?? TimeSpan.FromHours(5)),
            ExpectedRemaining = TimeSpan.FromHours(remainingHours),
            PowerKw = power,
            CheckpointBytes = checkpoint,
            RestartTime = TimeSpan.Zero,
            IsPaused = paused,
            Deadline = deadline,
        };

    private static CloudState Cloud(string id, double? intensity, double threshold, double pue = 1.0, bool reachable = true, bool busy = false,
        IReadOnlyList<IntensityPoint>? forecast = null) =>
        new()
        {
            CloudId = id,
            Zone = "Z-" + id,
            IntensityGPerKwh = intensity,
            ThresholdGPerKwh = threshold,
            Pue = pue,
            Reachable = reachable,
            Busy = busy,
            Forecast = forecast,
        };

    private static MigrationDecision Decide(MigrationPolicyOptions options, MigrationJob job, params CloudState[] clouds) =>
        new MigrationPolicy(options).Decide(new MigrationRequest { Now = Now, Job = job, Clouds = clouds });

    [Theory]
    [InlineData(300, 300)]
    [InlineData(299.9, 300)]
    [InlineData(0, 300)]
    public void Stays_when_current_is_at_or_below_threshold(double here, double threshold)
    {
        var d = Decide(Options(), Job(), Cloud("a", here, threshold), Cloud("b", 10, 300));
        Assert.Equal(MigrationAction.Stay, d.Action);
        Assert.Equal(MigrationReason.BelowThreshold, d.Reason);
        Assert.Null(d.TargetCloudId);
        Assert.Contains("below its threshold", d.Explanation);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(30, false)]
    [InlineData(59, false)]
    [InlineData(60, true)]
    [InlineData(240, true)]
    public void Respects_minimum_dwell(int minutesOnCloud, bool mayMove)
    {
        var d = Decide(Options(dwell: TimeSpan.FromHours(1)), Job(arrivedAgo: TimeSpan.FromMinutes(minutesOnCloud)),
            Cloud("a", 500, 300), Cloud("b", 100, 300));
        if (mayMove)
        {
            Assert.Equal(MigrationAction.Migrate, d.Action);
            Assert.Equal("b", d.TargetCloudId);
        }
        else
        {
            Assert.Equal(MigrationAction.Stay, d.Action);
            Assert.Equal(MigrationReason.DwellTimeNotElapsed, d.Reason);
        }
    }

    [Fact]
    public void Hand_computed_scores_for_a_move()
    {
        // 1 kW for a 2 h window. Stay: 2 h × 500 = 1000 g. Checkpoint 3.6 GB at 1 MB/s = 1 h downtime; idle 0.5 kW on
        // both sides: 1 × (0.5 × 500 + 0.5 × 100) = 300 g. Move: 2 h × 100 + 300 = 500 g. Net 500 g.
        var d = Decide(Options(), Job(checkpoint: 3_600_000_000), Cloud("a", 500, 300), Cloud("b", 100, 300));
        Assert.Equal(MigrationAction.Migrate, d.Action);
        Assert.Equal(MigrationReason.Migrate, d.Reason);
        Assert.Equal(TimeSpan.FromHours(2), d.Window);
        Assert.Equal(1000, d.ExpectedStayGrams!.Value, 9);
        var b = Assert.Single(d.Candidates);
        Assert.Equal(TimeSpan.FromHours(1), b.Downtime);
        Assert.Equal(300, b.OverheadGrams!.Value, 9);
        Assert.Equal(500, b.ExpectedMoveGrams!.Value, 9);
        Assert.Equal(500, b.NetSavingGrams!.Value, 9);
        Assert.Equal(1_000_000, b.BandwidthBytesPerSecond);
        Assert.Contains("a -> b", d.Explanation);
    }

    [Theory]
    [InlineData(36_000_000_000L, 2.0)] // 10 h downtime: overhead 3000 g dwarfs the 800 g gain
    [InlineData(3_600_000_000L, 0.25)] // 15 min left: gain 100 g < overhead 300 g
    public void Cost_outweighing_benefit_keeps_the_job(long checkpointBytes, double remainingHours)
    {
        var d = Decide(Options(), Job(checkpoint: checkpointBytes, remainingHours: remainingHours), Cloud("a", 500, 300), Cloud("b", 100, 300));
        Assert.Equal(MigrationAction.Stay, d.Action);
        Assert.Equal(MigrationReason.NoCandidate, d.Reason);
        var b = Assert.Single(d.Candidates);
        Assert.Equal(CandidateRejection.SavingTooSmall, b.Rejection);
        Assert.True(b.NetSavingGrams < 0);
        Assert.Contains("saving too small", d.Explanation);
    }

    [Theory]
    [InlineData(4.0, 5.0, false)] // expected net 4 g < 5 g minimum
    [InlineData(4.0, 3.0, true)]
    public void Minimum_net_saving_is_applied(double expectedNet, double minimum, bool moves)
    {
        // 1 h window, no downtime: net = here - there.
        var d = Decide(Options(minSaving: minimum), Job(remainingHours: 1), Cloud("a", 304, 300), Cloud("b", 304 - expectedNet, 500));
        Assert.Equal(moves ? MigrationAction.Migrate : MigrationAction.Stay, d.Action);
        Assert.Equal(expectedNet, d.Candidates[0].NetSavingGrams!.Value, 9);
    }

    [Theory]
    [InlineData(false, false, 100.0, 300.0, CandidateRejection.Unreachable)]
    [InlineData(true, true, 100.0, 300.0, CandidateRejection.Busy)]
    [InlineData(true, false, null, 300.0, CandidateRejection.IntensityUnknown)]
    [InlineData(true, false, 350.0, 300.0, CandidateRejection.AboveThreshold)]
    [InlineData(true, false, 295.0, 300.0, CandidateRejection.AboveThreshold)] // inside the 10 g band
    [InlineData(true, false, 290.0, 300.0, CandidateRejection.AboveThreshold)] // exactly threshold - band is not below it
    public void Rejects_candidates_with_reasons(bool reachable, bool busy, double? intensity, double threshold, CandidateRejection expected)
    {
        var d = Decide(Options(), Job(), Cloud("a", 500, 300), Cloud("b", intensity, threshold, reachable: reachable, busy: busy));
        Assert.Equal(MigrationAction.Stay, d.Action);
        Assert.Equal(MigrationReason.NoCandidate, d.Reason);
        Assert.Equal(expected, Assert.Single(d.Candidates).Rejection);
        Assert.Contains("b: ", d.Explanation);
    }

    [Fact]
    public void Candidate_just_below_threshold_minus_band_qualifies()
    {
        var d = Decide(Options(), Job(), Cloud("a", 500, 300), Cloud("b", 289.9, 300));
        Assert.Equal(MigrationAction.Migrate, d.Action);
    }

    [Fact]
    public void Per_cloud_band_overrides_the_default()
    {
        var b = Cloud("b", 250, 300) with { HysteresisGPerKwh = 60 };
        var d = Decide(Options(band: 10), Job(), Cloud("a", 500, 300), b);
        Assert.Equal(CandidateRejection.AboveThreshold, Assert.Single(d.Candidates).Rejection);
        Assert.Equal(60, d.Candidates[0].HysteresisGPerKwh);
    }

    [Fact]
    public void Picks_the_best_net_outcome_counting_pue()
    {
        // b: 100 g/kWh but PUE 2 → 200 effective; c: 150 g/kWh at PUE 1.1 → 165 effective; d: unreachable and cleanest.
        var d = Decide(Options(), Job(), Cloud("a", 500, 300), Cloud("b", 100, 300, pue: 2.0), Cloud("c", 150, 300, pue: 1.1),
            Cloud("d", 5, 300, reachable: false));
        Assert.Equal(MigrationAction.Migrate, d.Action);
        Assert.Equal("c", d.TargetCloudId);
        Assert.Equal(3, d.Candidates.Count);
        Assert.Equal(CandidateRejection.Unreachable, d.Candidates.Single(c => c.CloudId == "d").Rejection);
        Assert.Equal(CandidateRejection.None, d.Candidates.Single(c => c.CloudId == "b").Rejection);
    }

    [Fact]
    public void Forecast_beats_persistence()
    {
        // b is clean now but its forecast says 900 for the next hour; c is steady at 150. Window 2 h.
        var b = Cloud("b", 100, 300, forecast: [new IntensityPoint(Now.AddHours(1), 900)]);
        var c = Cloud("c", 150, 300);
        var d = Decide(Options(), Job(), Cloud("a", 500, 300), b, c);
        Assert.Equal("c", d.TargetCloudId);
        Assert.Equal(1000, d.Candidates.Single(x => x.CloudId == "b").ExpectedMoveGrams!.Value, 9);
        Assert.Equal(300, d.Candidates.Single(x => x.CloudId == "c").ExpectedMoveGrams!.Value, 9);
    }

    [Fact]
    public void Forecast_of_a_cleaner_current_grid_avoids_a_needless_move()
    {
        // a is 500 now but forecast 120 after this hour: stay 620 g, move to b (110) 220 g, net 400 g < 450 g minimum.
        var a = Cloud("a", 500, 300, forecast: [new IntensityPoint(Now.AddHours(1), 120)]);
        var d = Decide(Options(minSaving: 450), Job(), a, Cloud("b", 110, 300));
        Assert.Equal(620, d.ExpectedStayGrams!.Value, 9);
        Assert.Equal(400, d.Candidates[0].NetSavingGrams!.Value, 9);
        Assert.Equal(MigrationAction.Stay, d.Action);
    }

    [Fact]
    public void Measured_bandwidth_beats_the_default()
    {
        var request = new MigrationRequest
        {
            Now = Now,
            Job = Job(checkpoint: 3_600_000_000),
            Clouds = [Cloud("a", 500, 300), Cloud("b", 100, 300)],
            MeasuredBandwidth = new Dictionary<CloudPair, double> { [new CloudPair("a", "b")] = 2_000_000 },
        };
        var d = new MigrationPolicy(Options()).Decide(request);
        Assert.Equal(TimeSpan.FromMinutes(30), d.Candidates[0].Downtime);
        Assert.Equal(150, d.Candidates[0].OverheadGrams!.Value, 9);
    }

    [Theory]
    [InlineData(NoCandidateMode.KeepRunning, MigrationAction.Stay, MigrationReason.NoCandidate)]
    [InlineData(NoCandidateMode.PauseAndWait, MigrationAction.Pause, MigrationReason.NoCandidatePausing)]
    public void No_candidate_follows_the_mode(NoCandidateMode mode, MigrationAction action, MigrationReason reason)
    {
        var d = Decide(Options(mode: mode), Job(), Cloud("a", 500, 300), Cloud("b", 400, 300));
        Assert.Equal(action, d.Action);
        Assert.Equal(reason, d.Reason);
    }

    [Fact]
    public void Pause_mode_does_not_pause_when_the_deadline_leaves_no_slack()
    {
        var d = Decide(Options(mode: NoCandidateMode.PauseAndWait), Job(remainingHours: 2, deadline: Now.AddHours(2)),
            Cloud("a", 500, 300), Cloud("b", 400, 300));
        Assert.Equal(MigrationAction.Stay, d.Action);
        Assert.Equal(MigrationReason.DeadlineReached, d.Reason);
    }

    [Theory]
    [InlineData(285.0, null, MigrationAction.Resume, MigrationReason.BackBelowThreshold)]
    [InlineData(295.0, null, MigrationAction.Pause, MigrationReason.StillAboveThreshold)] // below threshold, not below the band
    [InlineData(500.0, 2.0, MigrationAction.Resume, MigrationReason.DeadlineReached)]
    [InlineData(500.0, 10.0, MigrationAction.Pause, MigrationReason.StillAboveThreshold)]
    public void Paused_job_resumes_or_waits(double here, double? deadlineHours, MigrationAction action, MigrationReason reason)
    {
        var deadline = deadlineHours is { } h ? Now.AddHours(h) : (DateTimeOffset?)null;
        var d = Decide(Options(mode: NoCandidateMode.PauseAndWait), Job(paused: true, deadline: deadline), Cloud("a", here, 300), Cloud("b", 400, 300));
        Assert.Equal(action, d.Action);
        Assert.Equal(reason, d.Reason);
    }

    [Fact]
    public void Paused_job_may_migrate_to_a_clean_cloud()
    {
        var d = Decide(Options(mode: NoCandidateMode.PauseAndWait), Job(paused: true), Cloud("a", 500, 300), Cloud("b", 50, 300));
        Assert.Equal(MigrationAction.Migrate, d.Action);
        Assert.Equal("b", d.TargetCloudId);
    }

    [Fact]
    public void Paused_job_with_no_reading_resumes_rather_than_staying_stopped()
    {
        var d = Decide(Options(mode: NoCandidateMode.PauseAndWait), Job(paused: true), Cloud("a", null, 300), Cloud("b", 50, 300));
        Assert.Equal(MigrationAction.Resume, d.Action);
        Assert.Equal(MigrationReason.CurrentIntensityUnknown, d.Reason);
    }

    [Theory]
    [InlineData(null, true, MigrationReason.CurrentIntensityUnknown)]
    [InlineData(500.0, false, MigrationReason.CurrentUnreachable)]
    public void Does_not_move_on_missing_data_or_unreachable_source(double? here, bool reachable, MigrationReason reason)
    {
        var d = Decide(Options(), Job(), Cloud("a", here, 300, reachable: reachable), Cloud("b", 50, 300));
        Assert.Equal(MigrationAction.Stay, d.Action);
        Assert.Equal(reason, d.Reason);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(3, 3)]
    public void Dwell_time_bounds_ping_pong_between_alternating_grids(int dwellHours, int maxMoves)
    {
        // a and b swap between 500 and 100 every hour: a naive rule would move every hour.
        var policy = new MigrationPolicy(Options(dwell: TimeSpan.FromHours(dwellHours)));
        var current = "a";
        var arrived = Now.AddHours(-dwellHours);
        var moves = 0;
        for (var h = 0; h < 8; h++)
        {
            var now = Now.AddHours(h);
            var aDirty = h % 2 == 0;
            var d = policy.Decide(new MigrationRequest
            {
                Now = now,
                Job = Job(current: current) with { ArrivedOnCurrentAt = arrived, ExpectedRemaining = TimeSpan.FromHours(8 - h) },
                Clouds = [Cloud("a", aDirty ? 500 : 100, 300), Cloud("b", aDirty ? 100 : 500, 300)],
            });
            if (d.Action == MigrationAction.Migrate)
            {
                moves++;
                current = d.TargetCloudId!;
                arrived = now;
            }
            else if (d.Reason != MigrationReason.BelowThreshold)
            {
                Assert.Equal(MigrationReason.DwellTimeNotElapsed, d.Reason);
            }
        }

        Assert.True(moves <= maxMoves, $"{moves} moves");
        Assert.True(moves >= 1);
    }

    [Fact]
    public void Same_input_gives_the_same_decision()
    {
        var request = new MigrationRequest
        {
            Now = Now,
            Job = Job(),
            Clouds = [Cloud("a", 500, 300), Cloud("b", 120, 300), Cloud("c", 120, 300)],
        };
        var policy = new MigrationPolicy(Options());
        var first = policy.Decide(request);
        var second = policy.Decide(request);
        Assert.Equal("b", first.TargetCloudId); // ties: first in list order
        Assert.Equal(first.TargetCloudId, second.TargetCloudId);
        Assert.Equal(first.Candidates, second.Candidates);
        Assert.Same(request, first.Inputs);
    }

    [Fact]
    public void Decision_round_trips_through_json_with_inputs_and_reasons()
    {
        var request = new MigrationRequest
        {
            Now = Now,
            Job = Job(checkpoint: 36_000_000_000),
            Clouds =
            [
                Cloud("a", 500, 300, forecast: [new IntensityPoint(Now.AddHours(1), 450)]),
                Cloud("b", 100, 300, reachable: false),
                Cloud("c", 100, 300),
            ],
            MeasuredBandwidth = new Dictionary<CloudPair, double> { [new CloudPair("a", "c")] = 2_000_000 },
        };
        var d = new MigrationPolicy(Options()).Decide(request);
        Assert.Equal(MigrationReason.NoCandidate, d.Reason);

        var json = JsonSerializer.Serialize(d);
        using (var doc = JsonDocument.Parse(json))
            Assert.Equal(2_000_000, doc.RootElement.GetProperty("Inputs").GetProperty("MeasuredBandwidth").GetProperty("a->c").GetDouble());
        Assert.Contains("\"Reason\":\"NoCandidate\"", json);
        Assert.Contains("\"Rejection\":\"Unreachable\"", json);
        Assert.Contains("\"Rejection\":\"SavingTooSmall\"", json);

        var back = JsonSerializer.Deserialize<MigrationDecision>(json)!;
        Assert.Equal(d.Candidates, back.Candidates);
        Assert.Equal(d.ExpectedStayGrams, back.ExpectedStayGrams);
        Assert.Equal(2_000_000, back.Inputs.MeasuredBandwidth![new CloudPair("a", "c")]);
        Assert.Equal(d.Explanation, back.Explanation);
        Assert.Contains("b: Unreachable", back.Explanation);
    }

    [Fact]
    public void Unknown_current_cloud_is_a_clear_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => Decide(Options(), Job(current: "zz"), Cloud("a", 500, 300)));
        Assert.Contains("'zz'", ex.Message);
        Assert.Contains("job-1", ex.Message);
    }

    [Fact]
    public void Bad_options_name_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MigrationPolicy(new MigrationPolicyOptions { PlanningHorizon = TimeSpan.Zero }));
        Assert.Contains(nameof(MigrationPolicyOptions.PlanningHorizon), ex.Message);
    }

    [Theory]
    [InlineData(0, 1.0, 500.0)] // one hour at the live reading
    [InlineData(30, 1.0, 0.5 * 500 + 0.5 * 200)] // half an hour live, then the forecast hour
    [InlineData(0, 3.0, 500 + 200 + 200)] // persistence of the last forecast value
    public void Intensity_curve_integrates_live_then_forecast(int minutesIntoHour, double hours, double expected)
    {
        var from = Now.AddMinutes(minutesIntoHour);
        var forecast = new[] { new IntensityPoint(Now, 999), new IntensityPoint(Now.AddHours(1), 200) };
        var got = IntensityCurve.IntegrateGramHoursPerKwh(from, TimeSpan.FromHours(hours), 500, forecast);
        Assert.Equal(expected, got, 9);
    }
}
