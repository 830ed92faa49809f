using System.Collections.Concurrent;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Tests.Web.Jobs;

/// <summary>Fixed inputs of the end-to-end migration tests; intensities are always read from the shipped trace, never hard-coded.</summary>
internal static class MigrationLabData
{
    /// <summary>The 2023 instant the trace replays when a test host starts (Carbon:Trace:FixedStart).</summary>
    public static readonly DateTimeOffset TraceStart = new(2023, 3, 15, 0, 0, 0, TimeSpan.Zero);

    private static readonly ConcurrentDictionary<(int Seed, int Epochs), Task<string>> References = new();

    /// <summary>Final weights hash of an uninterrupted run with the same seed and epochs (run once per configuration on a lab cloud).</summary>
    public static Task<string> ReferenceHashAsync(ITrainingAgent agent, SshTarget cloud, int seed, int epochs) =>
        References.GetOrAdd((seed, epochs), async key =>
        {
            var spec = new TrainingJobSpec { JobId = "ref-" + Guid.NewGuid().ToString("N")[..8], Seed = key.Seed, Epochs = key.Epochs };
            await agent.StartAsync(cloud, spec, resume: false, CancellationToken.None);
            var until = DateTime.UtcNow.AddSeconds(120);
            while (DateTime.UtcNow < until)
            {
                var poll = await agent.PollAsync(cloud, spec.JobId, long.MaxValue, CancellationToken.None);
                if (poll.Status.State == RemoteJobState.Done)
                {
                    return poll.Status.FinalWeightsSha256!;
                }

                Assert.NotEqual(RemoteJobState.Exited, poll.Status.State);
                await Task.Delay(200);
            }

            throw new TimeoutException("Reference run did not finish within 120 s.");
        });
}

/// <summary>
/// The migration controller end to end: real sshd lab clouds, the real PyTorch reference trainer, the real trace replay
/// as carbon source, a temp SQLite database. Run with <c>dotnet test --filter FullyQualifiedName~Migration</c>.
/// </summary>
[Collection(SshLabCollection.Name)]
public sealed class MigrationEndToEndTests(SshLabFixture lab) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    // Step delays: a job must still be training when its move starts. The warm standby is waited for (up to 30 s)
    // before the source is asked to stop, and on a loaded 2-core machine a shorter job sometimes finished first.
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-migration-test-");
    private readonly MigrationTestClock _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private Task<MigrationTestHost> HostAsync(Action<MigrationHooks>? hooks = null, bool autoMigrate = true, int maxTransferAttempts = 3) =>
        MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = autoMigrate ? "true" : "false",
            ["Migration:RestartSeconds"] = "1",
            ["Migration:Timeouts:MaxTransferAttempts"] = maxTransferAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, hooks);

    private static Task<double> IntensityAsync(MigrationTestHost host, string zone) => host.IntensityAsync(zone);

    private static Task<(TimeSpan Hour, double Before, double After)> FindRiseAsync(MigrationTestHost host, string zone) => host.FindRiseAsync(zone);

    private static Task ArrangeThresholdsAsync(MigrationTestHost host, string source, string target) => host.ArrangeThresholdsAsync(source, target);

    private static Task<JobEntity> WaitForJobAsync(MigrationTestHost host, string id, Func<JobEntity, bool> condition, string what) =>
        host.WaitForJobAsync(id, condition, Long, what);

    private static async Task<List<MigrationEntity>> MigrationsAsync(MigrationTestHost host, string jobId) =>
        [.. await host.Jobs.MigrationsAsync(jobId, CancellationToken.None)];

    private static async Task<List<JobEventEntity>> EventsAsync(MigrationTestHost host, string jobId) =>
        [.. await host.Jobs.EventsAsync(jobId, CancellationToken.None)];

    [Fact]
    public async Task Threshold_crossing_migrates_and_resumes_at_the_next_step_with_identical_weights()
    {
        await using var host = await HostAsync();
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("CA-ON");
        await ArrangeThresholdsAsync(host, "KR", "CA-ON");
        var reference = MigrationLabData.ReferenceHashAsync(host.Agent, lab.Cloud("GB").Target, seed: 11, epochs: 2);

        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "threshold", Epochs: 2, Seed: 11, StepDelayMs: 150), CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.LastStep >= 3, "first progress on the source");
        await MigrationTestHost.WaitForAsync(async () =>
            (await EventsAsync(host, job.Id)).FirstOrDefault(e => e.Kind == "Decision" && e.Message.Contains("at or below its threshold", StringComparison.Ordinal)),
            Long, "a Stay decision below threshold");
        Assert.Empty(await MigrationsAsync(host, job.Id));

        _clock.Offset += TimeSpan.FromHours(1);
        var moved = await WaitForJobAsync(host, job.Id, j => j.CurrentCloudId == target.Id && j.Status == JobStatus.Running, "the move to CA-ON");
        var finished = await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");

        var m = Assert.Single(await MigrationsAsync(host, job.Id));
        Assert.Equal(nameof(MigrationStep.RunningOnTarget), m.Step);
        Assert.Equal("Policy", m.Trigger);
        Assert.Equal(m.CheckpointStep + 1, m.FirstStepAfterResume);
        Assert.True(m.TransferBytes > 10_000 && m.TransferSeconds > 0 && m.DowntimeSeconds > 0);
        Assert.Equal(JobStatus.Finished, finished.Status);
        Assert.Equal(await reference, finished.FinalWeightsSha256);
        Assert.Equal(finished.TotalSteps, finished.LastStep);
        var events = await EventsAsync(host, job.Id);
        Assert.Contains(events, e => e.Kind == "Decision" && e.Message.StartsWith("Migrate", StringComparison.Ordinal) && e.DataJson!.Contains("\"Candidates\"", StringComparison.Ordinal));
        Assert.Equal(
            ["Requested", "Draining", "Checkpointed", "Transferring", "Verifying", "Starting", "RunningOnTarget"],
            events.Where(e => e.Kind == "Transition" && e.MigrationId == m.Id).Select(e => e.ToStep!));
        // The standby was warm before the source was asked to stop; Starting only sent it the go signal.
        Assert.Contains(events, e => e.Kind == "Standby" && e.MigrationId == m.Id && e.Message.Contains("warm standby ready on cloud", StringComparison.Ordinal));
        Assert.Contains(events, e => e.ToStep == "RunningOnTarget" && e.Message.Contains("(warm standby released)", StringComparison.Ordinal));

        var report = await host.Jobs.CarbonReportAsync(job.Id, CancellationToken.None);
        Assert.Single(report.Report.Migrations);
        Assert.True(report.Report.CounterfactualGrams > report.Report.ActualRunGrams, "running on the cleaner grid must cost less than staying");
        _ = moved;
    }

    [Fact]
    public async Task Two_migrations_in_one_run_keep_the_weights_identical()
    {
        await using var host = await HostAsync();
        var kr = await host.CloudAsync("KR");
        var (hour, _, _) = await FindRiseAsync(host, "KR");

        // From the data at hour k+1: the second-cleanest zone is the first stop, the cleanest the second.
        _clock.Offset = hour + TimeSpan.FromHours(1);
        var ranked = new List<(string Zone, double G)>();
        foreach (var zone in new[] { "DE", "GB", "US-CAL-CISO", "CA-ON" })
        {
            ranked.Add((zone, await IntensityAsync(host, zone)));
        }

        ranked.Sort((a, b) => a.G.CompareTo(b.G));
        var (cleanest, secondClean) = (ranked[0], ranked[1]);
        Assert.True(secondClean.G - cleanest.G > 10, $"the data must separate {cleanest.Zone} and {secondClean.Zone}");
        await ArrangeThresholdsAsync(host, "KR", secondClean.Zone);
        var c1 = await host.CloudAsync(cleanest.Zone);
        var c2 = await host.CloudAsync(secondClean.Zone);
        var reference = MigrationLabData.ReferenceHashAsync(host.Agent, lab.Cloud("GB").Target, seed: 5, epochs: 3);

        var job = await host.Jobs.StartAsync(new JobStartRequest(kr.Id, "twice", Epochs: 3, Seed: 5, StepDelayMs: 150), CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.LastStep >= 2, "first progress");
        _clock.Offset += TimeSpan.FromHours(1);
        await WaitForJobAsync(host, job.Id, j => j.CurrentCloudId == c2.Id && j.Status == JobStatus.Running, "the first move");

        // Second crossing: the current cloud's threshold drops below its reading and the cleanest zone becomes eligible.
        await host.SetThresholdAsync(kr.Id, 0);
        await host.SetThresholdAsync(c1.Id, cleanest.G + 100);
        await host.SetThresholdAsync(c2.Id, secondClean.G / 2);
        await WaitForJobAsync(host, job.Id, j => j.CurrentCloudId == c1.Id && j.Status == JobStatus.Running, "the second move");
        var finished = await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");

        var ms = await MigrationsAsync(host, job.Id);
        Assert.Equal(2, ms.Count);
        Assert.All(ms, m => Assert.Equal(nameof(MigrationStep.RunningOnTarget), m.Step));
        Assert.All(ms, m => Assert.Equal(m.CheckpointStep + 1, m.FirstStepAfterResume));
        Assert.Equal(JobStatus.Finished, finished.Status);
        Assert.Equal(await reference, finished.FinalWeightsSha256);
    }

    [Fact]
    public async Task Unreachable_target_rolls_back_and_the_job_runs_again_on_the_source()
    {
        await using var host = await HostAsync(autoMigrate: false);
        var source = await host.CloudAsync("GB");
        int deadId;
        await using (var db = host.NewContext())
        {
            var template = await db.Clouds.AsNoTracking().SingleAsync(c => c.Id == source.Id);
            var port = SshLabFixture.UnusedPort();
            var dead = new CloudEntity
            {
                NaturalKey = $"127.0.0.1:{port}:{template.Username}", Host = "127.0.0.1", Port = port, Username = template.Username, KeyPath = template.KeyPath,
                CountryCode = "DE", CountryName = "Germany", Zone = "DE", Threshold = 1000, Pue = 1.1, Label = "dead port",
            };
            db.Clouds.Add(dead);
            await db.SaveChangesAsync();
            deadId = dead.Id;
        }

        var reference = MigrationLabData.ReferenceHashAsync(host.Agent, lab.Cloud("US").Target, seed: 21, epochs: 2);
        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "dead-target", Epochs: 2, Seed: 21, StepDelayMs: 120), CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.LastStep >= 3, "first progress");
        await host.Jobs.MigrateAsync(job.Id, deadId, CancellationToken.None);

        var m = await MigrationTestHost.WaitForAsync(async () =>
            (await MigrationsAsync(host, job.Id)).FirstOrDefault(x => x.CompletedAt is not null), Long, "the migration to end");
        Assert.Equal(nameof(MigrationStep.RunningOnSource), m.Step);
        Assert.Equal(nameof(MigrationFailure.TargetUnreachable), m.LastFailure);
        Assert.Contains("TargetUnreachable", m.RollbackReason, StringComparison.Ordinal);
        var log = string.Join("\n", (await EventsAsync(host, job.Id)).Select(e => $"{e.Kind} {e.FromStep}->{e.ToStep}: {e.Message}"));
        Assert.True(m.CheckpointStep + 1 == m.FirstStepAfterResume, log);
        var finished = await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish on the source");
        Assert.Equal(source.Id, finished.CurrentCloudId);
        Assert.Equal(JobStatus.Finished, finished.Status);
        Assert.Equal(await reference, finished.FinalWeightsSha256);
    }

    [Fact]
    public async Task Checkpoint_corrupted_in_transit_is_refused_by_checksum_and_rolled_back()
    {
        var flipped = 0;
        var standbySeen = false;
        MigrationTestHost? self = null;
        await using var host = self = await HostAsync(hooks: h => h.BeforeStep = async (state, ct) =>
        {
            if (state.Step == MigrationStep.Verifying)
            {
                var m = (await self!.Jobs.MigrationsAsync(state.JobId, ct)).Single(x => x.Id == state.MigrationId);
                var target = (await self.Clouds.GetTargetAsync(m.TargetCloudId, ct))!;
                var r = await self.Shell.RunAsync(target,
                    $"f=\"$HOME/.greenconsole/jobs/{state.JobId}/ckpt/{m.CheckpointName}/state.pt\"; printf 'Z' | dd of=\"$f\" bs=1 seek=200 conv=notrunc 2>/dev/null",
                    TimeSpan.FromSeconds(30), ct);
                Assert.Equal(0, r.ExitCode);
                Interlocked.Increment(ref flipped);
                // The standby launched during the drain is alive on the target; the rollback must kill it.
                var until = DateTime.UtcNow.AddSeconds(30);
                while (!standbySeen && DateTime.UtcNow < until)
                {
                    var alive = await self.Shell.RunAsync(target,
                        $"p=$(cat \"$HOME/.greenconsole/jobs/{state.JobId}/job/standby.pid\" 2>/dev/null) && [ -n \"$p\" ] && kill -0 \"$p\"", TimeSpan.FromSeconds(30), ct);
                    standbySeen = alive.ExitCode == 0;
                    if (!standbySeen)
                    {
                        await Task.Delay(100, ct);
                    }
                }
            }
        }, autoMigrate: false, maxTransferAttempts: 1);
        var source = await host.CloudAsync("US-CAL-CISO");
        var target = await host.CloudAsync("DE");

        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "corrupt", Epochs: 2, Seed: 8, StepDelayMs: 120), CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.LastStep >= 3, "first progress");
        await host.Jobs.MigrateAsync(job.Id, target.Id, CancellationToken.None);

        var m = await MigrationTestHost.WaitForAsync(async () =>
            (await MigrationsAsync(host, job.Id)).FirstOrDefault(x => x.CompletedAt is not null), Long, "the migration to end");
        Assert.Equal(1, flipped);
        Assert.Equal(nameof(MigrationStep.RunningOnSource), m.Step);
        Assert.Equal(nameof(MigrationFailure.ChecksumMismatch), m.LastFailure);
        Assert.Contains("sha256 mismatch", m.Error, StringComparison.Ordinal);
        var events = await EventsAsync(host, job.Id);
        Assert.Contains(events, e => e.FromStep == "Verifying" && e.ToStep == "RollingBack");
        var running = await WaitForJobAsync(host, job.Id, j => j.Status != JobStatus.Migrating, "the job to run again");
        Assert.Equal(source.Id, running.CurrentCloudId);
        Assert.True(standbySeen, "a standby ran on the target before Verifying");
        var targetCloud = (await host.Clouds.GetTargetAsync(target.Id, CancellationToken.None))!;
        await MigrationTestHost.WaitForAsync(async () =>
        {
            // Processes of this job on the target: a trainer whose working directory is the job's folder there.
            var r = await host.Shell.RunAsync(targetCloud,
                $"n=0; for p in $(pgrep -f reference_trainer.py); do [ \"$(readlink /proc/$p/cwd)\" = \"$HOME/.greenconsole/jobs/{job.Id}\" ] && n=$((n+1)); done; echo $n",
                TimeSpan.FromSeconds(30), CancellationToken.None);
            return r.StandardOutput.Trim() == "0" ? "gone" : null;
        }, TimeSpan.FromSeconds(20), "no trainer process left on the target after the rollback");
        Assert.Equal(m.CheckpointStep + 1, m.FirstStepAfterResume);
        await host.Jobs.CancelAsync(job.Id, CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Cancelled or JobStatus.Finished, "the cancel");
    }

    [Fact]
    public async Task Controller_killed_during_transfer_is_recovered_by_a_new_one()
    {
        var reached = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await HostAsync(hooks: h => h.BeforeStep = async (state, ct) =>
        {
            if (state.Step == MigrationStep.Transferring)
            {
                reached.TrySetResult(state.MigrationId);
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
        }, autoMigrate: false);
        var source = await first.CloudAsync("DE");
        var target = await first.CloudAsync("GB");
        var reference = MigrationLabData.ReferenceHashAsync(first.Agent, lab.Cloud("KR").Target, seed: 13, epochs: 2);
        var job = await first.Jobs.StartAsync(new JobStartRequest(source.Id, "crash", Epochs: 2, Seed: 13, StepDelayMs: 120), CancellationToken.None);
        await WaitForJobAsync(first, job.Id, j => j.LastStep >= 3, "first progress");
        await first.Jobs.MigrateAsync(job.Id, target.Id, CancellationToken.None);
        var migrationId = await reached.Task.WaitAsync(Long);
        // The reference run polls through the first host's SSH agent, so it must finish before that host goes away.
        var referenceHash = await reference.WaitAsync(Long);
        await first.DisposeAsync();

        await using (var db = DataContext())
        {
            Assert.Equal(nameof(MigrationStep.Transferring), (await db.Migrations.SingleAsync(m => m.Id == migrationId)).Step);
        }

        await using var second = await MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?> { ["Migration:AutoMigrate"] = "false" }, importLab: false);
        var finished = await WaitForJobAsync(second, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the recovered job to finish");
        var m = Assert.Single(await MigrationsAsync(second, job.Id));
        Assert.Equal(nameof(MigrationStep.RunningOnTarget), m.Step);
        Assert.Equal(m.CheckpointStep + 1, m.FirstStepAfterResume);
        Assert.Equal(target.Id, finished.CurrentCloudId);
        Assert.Equal(referenceHash, finished.FinalWeightsSha256);
        Assert.Contains(await EventsAsync(second, job.Id), e => e.Message.StartsWith("Recovery:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_candidate_means_nothing_moves_and_the_decision_log_says_why()
    {
        await using var host = await HostAsync();
        var source = await host.CloudAsync("KR");
        var here = await IntensityAsync(host, "KR");
        foreach (var c in await host.Clouds.ListAsync(CancellationToken.None))
        {
            await host.SetThresholdAsync(c.Id, c.Id == source.Id ? here / 2 : 0);
        }

        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "stuck", Epochs: 2, Seed: 3, StepDelayMs: 60), CancellationToken.None);
        var decision = await MigrationTestHost.WaitForAsync(async () =>
            (await EventsAsync(host, job.Id)).FirstOrDefault(e => e.Kind == "Decision"), Long, "a decision");
        Assert.Contains("no cloud qualifies", decision.Message, StringComparison.Ordinal);
        Assert.Contains("not below", decision.Message, StringComparison.Ordinal);
        Assert.Contains("\"NoCandidate\"", decision.DataJson, StringComparison.Ordinal);
        var finished = await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");
        Assert.Equal(JobStatus.Finished, finished.Status);
        Assert.Equal(source.Id, finished.CurrentCloudId);
        Assert.Empty(await MigrationsAsync(host, job.Id));
    }

    [Fact]
    public async Task Pause_and_wait_holds_the_job_through_a_dirty_hour_and_resumes_it_with_identical_weights()
    {
        await using var host = await MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = "true",
            ["Migration:RestartSeconds"] = "1",
            ["Migration:Policy:NoCandidateMode"] = "PauseAndWait",
        }, null);
        var source = await host.CloudAsync("KR");
        var (_, before, after) = await FindRiseAsync(host, "KR");
        foreach (var c in await host.Clouds.ListAsync(CancellationToken.None))
        {
            // KR crosses its threshold at hour k+1; no other cloud ever qualifies, so waiting is the only way out.
            await host.SetThresholdAsync(c.Id, c.Id == source.Id ? (before + after) / 2 : 0);
        }

        var reference = MigrationLabData.ReferenceHashAsync(host.Agent, lab.Cloud("GB").Target, seed: 21, epochs: 2);
        var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "time-shift", Epochs: 2, Seed: 21, StepDelayMs: 150), CancellationToken.None);
        await WaitForJobAsync(host, job.Id, j => j.LastStep >= 3, "first progress");
        await MigrationTestHost.WaitForAsync(async () =>
            (await EventsAsync(host, job.Id)).FirstOrDefault(e => e.Kind == "Decision" && e.Message.Contains("at or below its threshold", StringComparison.Ordinal)),
            Long, "a Stay decision below threshold");

        _clock.Offset += TimeSpan.FromHours(1);
        var waiting = await WaitForJobAsync(host, job.Id, j => j.Status == JobStatus.Waiting, "the job to wait out the dirty hour");
        Assert.Equal(source.Id, waiting.CurrentCloudId);

        // The grid cleans up (here: the operator raises the threshold above the hour's intensity and the hysteresis band).
        await host.SetThresholdAsync(source.Id, after + 100);
        var finished = await WaitForJobAsync(host, job.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");

        Assert.Equal(JobStatus.Finished, finished.Status);
        Assert.Equal(source.Id, finished.CurrentCloudId);
        Assert.Equal(await reference, finished.FinalWeightsSha256);
        Assert.Empty(await MigrationsAsync(host, job.Id));
        var events = await EventsAsync(host, job.Id);
        Assert.Contains(events, e => e.Kind == "Decision" && e.DataJson!.Contains("\"NoCandidatePausing\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Kind == "Decision" && e.DataJson!.Contains("\"BackBelowThreshold\"", StringComparison.Ordinal));
        var shifts = events.Where(e => e.Kind == "TimeShift").Select(e => e.Message).ToList();
        Assert.Equal(2, shifts.Count);
        Assert.StartsWith("Checkpointing and waiting", shifts[0], StringComparison.Ordinal);
        Assert.StartsWith("Resumed on cloud", shifts[1], StringComparison.Ordinal);

        // The wait is not run time: the carbon report charges the job's life less the stretch it spent waiting.
        var waitedAt = Assert.Single(events, e => e.Kind == "Job" && e.ToStep == nameof(JobStatus.Waiting)).At;
        var resumedAt = Assert.Single(events, e => e.Kind == "Job" && e.FromStep == nameof(JobStatus.Waiting) && e.ToStep == nameof(JobStatus.Running)).At;
        Assert.True(resumedAt > waitedAt);
        var carbon = await host.Jobs.CarbonReportAsync(job.Id, CancellationToken.None);
        var life = (finished.FinishedAt!.Value - finished.StartedAt!.Value).TotalSeconds;
        Assert.Equal(life - (resumedAt - waitedAt).TotalSeconds, carbon.ChargedSeconds, 3);
    }

    private GreenConsoleDbContext DataContext() => new(GreenConsole.Tests.Web.Data.DataTestDatabase.OptionsFor(
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder.FullName, "db", "greenconsole.db"), Pooling = false }.ToString()));
}
