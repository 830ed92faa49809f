using System.Globalization;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Migration;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Definitions;

namespace GreenConsole.Tests.Web.Jobs.OwnTraining;

/// <summary>
/// Researchers' own scripts end to end: the real controller, real sshd lab clouds, scripts written the way researchers
/// write them (TestData/own-training; no GreenConsole API). Run with <c>dotnet test --filter FullyQualifiedName~OwnTraining</c>.
/// </summary>
[Collection(SshLabCollection.Name)]
public sealed class OwnTrainingEndToEndTests(SshLabFixture lab) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-own-training-");
    private readonly MigrationTestClock _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Own_checkpoint_script_moves_and_no_step_before_its_last_checkpoint_runs_twice()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        const string args = "--steps 60 --ckpt-every 10 --delay 0.3";
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("CA-ON");
        var project = t.Project("resume_script");

        var submitted = await t.Submitter.SubmitAsync(new JobSubmitRequest(OwnTrainingLab.ResumeScript(project, args), source.Id), CancellationToken.None);
        var id = submitted.Job.Id;
        Assert.Equal("own-checkpoint", submitted.Job.ModeName);
        Assert.True(submitted.Preflight.Ok, submitted.Preflight.Summary);
        Assert.NotNull(submitted.Sync);
        Assert.Equal(1, submitted.Sync!.FilesSent);
        await t.WaitForJobAsync(id, j => j.LastStep >= 24, "progress past two checkpoints on KR");

        await host.Jobs.MigrateAsync(id, target.Id, CancellationToken.None);
        await t.WaitForJobAsync(id, j => j.CurrentCloudId == target.Id && j.Status == JobStatus.Running, "the move to CA-ON");
        var finished = await t.WaitForJobAsync(id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");
        Assert.True(finished.Status == JobStatus.Finished, finished.LastError);
        Assert.Equal(60, finished.LastStep);

        var m = Assert.Single(await host.Jobs.MigrationsAsync(id, CancellationToken.None));
        Assert.Equal(nameof(MigrationStep.RunningOnTarget), m.Step);
        var checkpoint = m.CheckpointStep!.Value;
        Assert.Equal(0, checkpoint % 10);
        Assert.Equal(checkpoint + 1, m.FirstStepAfterResume);

        // Every step the script ran, on each cloud, from its own log (the script knows nothing of GreenConsole).
        var onSource = Steps(await t.ReadOnCloudAsync("KR", id, "project/steps_run.log"));
        var onTarget = Steps(await t.ReadOnCloudAsync("CA-ON", id, "project/steps_run.log"));
        Assert.Equal(Enumerable.Range(1, onSource.Count), onSource);
        Assert.Equal(Enumerable.Range((int)checkpoint + 1, 60 - (int)checkpoint), onTarget);
        Assert.True(onSource.Count >= checkpoint, "the source ran at least up to the checkpoint it was moved from");

        // Same learning progress: the result equals an uninterrupted run of the same script.
        Assert.Equal(t.UninterruptedFinalHash(args), (await t.ReadOnCloudAsync("CA-ON", id, "project/final.sha256")).Trim());
        var events = await t.EventsAsync(id);
        Assert.Contains(events, e => e.Kind == "Sync" && e.Message.Contains("cloud " + target.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(events, e => e.Kind == "Preflight" && e.Message.Contains("ready", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Protocol_mode_cnn_with_shuffled_workers_and_one_cycle_moves_mid_epoch_and_ends_bit_identical()
    {
        // Without the warm standby the stop goes out as soon as the move is asked for, so it lands inside the second
        // epoch (steps 25 to 48) however long the target's imports take; the standby path is the other tests'.
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock, new() { ["Migration:WarmStandby"] = "false" });
        await using var host = t.Host;
        const string args = "--epochs 3 --delay 0.3";
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("GB");
        var reference = Task.Run(() => t.UninterruptedProtocolHash("--epochs 3"));

        var submitted = await t.Submitter.SubmitAsync(new JobSubmitRequest(OwnTrainingLab.ProtocolCnn(t.Project("protocol_cnn"), args), source.Id), CancellationToken.None);
        var id = submitted.Job.Id;
        // 24 mini-batches per epoch: step 30 is inside the second epoch.
        await t.WaitForJobAsync(id, j => j.LastStep >= 27, "the second epoch on KR");
        await host.Jobs.MigrateAsync(id, target.Id, CancellationToken.None);
        await t.WaitForJobAsync(id, j => j.CurrentCloudId == target.Id, "the move to GB");
        var finished = await t.WaitForJobAsync(id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish");
        Assert.True(finished.Status == JobStatus.Finished, finished.LastError);

        var m = Assert.Single(await host.Jobs.MigrationsAsync(id, CancellationToken.None));
        Assert.Equal(nameof(MigrationStep.RunningOnTarget), m.Step);
        Assert.True(m.CheckpointStep!.Value % 24 != 0, $"the stop landed on an epoch boundary (step {m.CheckpointStep}), not mid-epoch");
        Assert.Equal(m.CheckpointStep + 1, m.FirstStepAfterResume);
        Assert.Equal(72, finished.LastStep);
        Assert.Equal(await reference, finished.FinalWeightsSha256);
    }

    [Fact]
    public async Task Command_mode_job_is_held_and_continued_in_place_never_moved_and_its_output_is_complete()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var kr = await host.CloudAsync("KR");
        var definition = new JobDefinition
        {
            Name = "count",
            Project = JobProject.Local(t.Project("plain_command")),
            Command = "./count.sh 40 0.1",
            Mode = JobMode.Command,
            Progress = new ProgressSource(@"line (?<step>\d+)"),
            Environment = [new JobVariable("GREETING", "hello"), new JobVariable("API_TOKEN", "s3cret-value", Secret: true)],
        };
        var submitted = await t.Submitter.SubmitAsync(new JobSubmitRequest(definition, kr.Id), CancellationToken.None);
        var id = submitted.Job.Id;
        Assert.DoesNotContain("s3cret-value", submitted.Command, StringComparison.Ordinal);
        Assert.Contains(JobVariable.Mask, submitted.Command, StringComparison.Ordinal);
        await t.WaitForJobAsync(id, j => j.LastStep >= 5, "the first lines");

        var gb = await host.CloudAsync("GB");
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Jobs.MigrateAsync(id, gb.Id, CancellationToken.None));
        Assert.Contains("never migrated", refusal.Message, StringComparison.Ordinal);

        await host.Jobs.PauseAsync(id, CancellationToken.None);
        Assert.Equal(JobStatus.Paused, (await host.JobAsync(id)).Status);
        var (held, _) = await host.Jobs.ReadOutputAsync(id, JobOutputStream.Stdout, 0, 1 << 20, CancellationToken.None);
        // Held means held: over a second (ten of the script's lines) the output does not grow.
        var until = DateTime.UtcNow.AddSeconds(1);
        while (DateTime.UtcNow < until)
        {
            var (now, _) = await host.Jobs.ReadOutputAsync(id, JobOutputStream.Stdout, 0, 1 << 20, CancellationToken.None);
            Assert.Equal(held.Size, now.Size);
        }

        await host.Jobs.ResumeAsync(id, CancellationToken.None);
        var finished = await t.WaitForJobAsync(id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the command to finish");
        Assert.True(finished.Status == JobStatus.Finished, finished.LastError);
        var (all, _) = await host.Jobs.ReadOutputAsync(id, JobOutputStream.Stdout, 0, 1 << 20, CancellationToken.None);
        var expected = string.Concat(Enumerable.Range(1, 40).Select(i => $"line {i}\n")) + "all 40 lines\n";
        Assert.Equal(expected, all.Text);
        Assert.Equal(40, finished.LastStep);
        Assert.Equal(kr.Id, finished.CurrentCloudId);
    }

    private static List<int> Steps(string log) =>
        [.. log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];
}
