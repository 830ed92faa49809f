using GreenConsole.Agents.Training;
using Xunit.Abstractions;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>
/// Runs the shipped reference trainer and helper as real processes and proves exact
/// mini-batch resume: stopped and resumed runs end bit-identical to an uninterrupted one.
/// </summary>
public sealed class TrainingResumeTests(TrainingReferenceRunFixture reference, ITestOutputHelper output)
    : IClassFixture<TrainingReferenceRunFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private TrainingJobDirs NewDirs(string name) => new(reference.Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task UninterruptedRun_IsReproducible_AndSensitiveToTheSeed()
    {
        var steps = reference.Reference.ReadSteps();
        Assert.Equal(Enumerable.Range(1, (int)reference.TotalSteps).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.True(reference.TotalSteps >= 250, $"only {reference.TotalSteps} steps");
        Assert.Equal(TrainingProtocol.CheckpointName(reference.TotalSteps), reference.Done.Checkpoint);
        Assert.True(reference.Done.Metrics["test_accuracy"] > 0.85, $"test accuracy {reference.Done.Metrics["test_accuracy"]}");
        output.WriteLine($"uninterrupted run: {reference.Result.Elapsed.TotalSeconds:F2}s wall (incl. python/torch start), {reference.TotalSteps} steps, hash {reference.FinalHash}");

        var again = NewDirs("again");
        var second = await TrainingTrainerProcess.RunTrainerAsync(again.Launch(), Ct);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(reference.FinalHash, again.ReadDone().FinalWeightsSha256);

        var otherSeed = NewDirs("seed");
        var third = await TrainingTrainerProcess.RunTrainerAsync(otherSeed.Launch(), Ct, "--seed", "99");
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.NotEqual(reference.FinalHash, otherSeed.ReadDone().FinalWeightsSha256);
    }

    [Fact]
    public async Task StopAtStep_MidEpoch_ResumedInFreshDirectories_IsBitIdentical()
    {
        const long k = 100; // 47 batches per epoch: step 100 is batch 6 of epoch 2
        var first = NewDirs("cloud-a");
        var run = await TrainingTrainerProcess.RunTrainerAsync(first.Launch(stopAtStep: k), Ct);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(first.HasMarker(TrainingProtocol.DoneFile));
        var stopped = first.ReadStopped();
        Assert.Equal(k, stopped.Step);
        Assert.Equal(TrainingProtocol.CheckpointName(k), stopped.Checkpoint);
        Assert.Equal(k, first.ReadSteps().Last().Step);
        output.WriteLine($"checkpoint {stopped.Checkpoint}: {stopped.CheckpointBytes} bytes written in {stopped.CheckpointSeconds * 1000:F1} ms");

        await AssertVerifiesAsync(Path.Combine(first.CheckpointDir, stopped.Checkpoint), k);

        var second = first.CopyCheckpointsTo(reference.Root, "cloud-b-" + Guid.NewGuid().ToString("N")[..8]);
        var resumed = await TrainingTrainerProcess.RunTrainerAsync(second.Launch(resume: true), Ct);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var events = second.ReadProgress();
        Assert.Equal("resume", events[0].Event);
        Assert.Equal(k, events[0].Step);
        var steps = second.ReadSteps();
        Assert.Equal(k + 1, steps[0].Step);
        Assert.Equal(reference.TotalSteps, steps[^1].Step);
        Assert.Equal(reference.TotalSteps - k, steps.Count);
        Assert.Equal(reference.FinalHash, second.ReadDone().FinalWeightsSha256);

        // Same batches, same numbers: the resumed losses equal the uninterrupted run's, line for line.
        var referenceLosses = reference.Reference.ReadSteps().Where(s => s.Step > k).Select(s => s.Loss);
        Assert.Equal(referenceLosses, steps.Select(s => s.Loss));
    }

    [Fact]
    public async Task StopFile_CreatedWhileRunning_CheckpointsAndResumesBitIdentical()
    {
        var first = NewDirs("stopfile");
        long stoppedAt;
        await using (var p = TrainingTrainerProcess.Start([TrainingScripts.ReferenceTrainerPath], first.Launch(stepDelayMs: 10).ToEnvironment()))
        {
            var seen = await first.WaitForStepAsync(60, p, Ct);
            await File.WriteAllTextAsync(Path.Combine(first.JobDir, TrainingProtocol.StopFile), "", Ct);
            var result = await p.WaitAsync(Ct);
            Assert.True(result.ExitCode == 0, result.ToString());
            var stopped = first.ReadStopped();
            Assert.Equal("stop file", stopped.Reason);
            Assert.InRange(stopped.Step, seen.Step, reference.TotalSteps - 1);
            Assert.Equal(stopped.Step, first.ReadSteps().Last().Step);
            stoppedAt = stopped.Step;
            await AssertVerifiesAsync(Path.Combine(first.CheckpointDir, stopped.Checkpoint), stoppedAt);
        }

        var second = first.CopyCheckpointsTo(reference.Root, "stopfile-b-" + Guid.NewGuid().ToString("N")[..8]);
        var resumed = await TrainingTrainerProcess.RunTrainerAsync(second.Launch(resume: true), Ct);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(stoppedAt + 1, second.ReadSteps()[0].Step);
        Assert.Equal(reference.FinalHash, second.ReadDone().FinalWeightsSha256);
    }

    [Fact]
    public async Task TwoStopsAndResumes_AcrossThreeLocations_IsBitIdentical()
    {
        // The first stop is on an epoch boundary (47 batches per epoch), the second mid-epoch.
        var a = NewDirs("hop-a");
        var r1 = await TrainingTrainerProcess.RunTrainerAsync(a.Launch(stopAtStep: 47), Ct);
        Assert.True(r1.ExitCode == 0, r1.ToString());
        Assert.Equal(47, a.ReadStopped().Step);

        var b = a.CopyCheckpointsTo(reference.Root, "hop-b-" + Guid.NewGuid().ToString("N")[..8]);
        var r2 = await TrainingTrainerProcess.RunTrainerAsync(b.Launch(resume: true, stopAtStep: 190), Ct);
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Equal(48, b.ReadSteps()[0].Step);
        Assert.Equal(190, b.ReadStopped().Step);

        var c = b.CopyCheckpointsTo(reference.Root, "hop-c-" + Guid.NewGuid().ToString("N")[..8]);
        var r3 = await TrainingTrainerProcess.RunTrainerAsync(c.Launch(resume: true), Ct);
        Assert.True(r3.ExitCode == 0, r3.ToString());
        Assert.Equal(191, c.ReadSteps()[0].Step);
        Assert.Equal(reference.FinalHash, c.ReadDone().FinalWeightsSha256);
    }

    [Fact]
    public async Task Verify_RejectsAFlippedByte_NamingTheFile_AndResumeRefusesIt()
    {
        var dirs = NewDirs("corrupt");
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 30), Ct);
        Assert.True(run.ExitCode == 0, run.ToString());
        var checkpoint = Path.Combine(dirs.CheckpointDir, dirs.ReadStopped().Checkpoint);
        await AssertVerifiesAsync(checkpoint, 30);

        var state = Path.Combine(checkpoint, "state.pt");
        var bytes = await File.ReadAllBytesAsync(state, Ct);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(state, bytes, Ct);

        var verify = await TrainingTrainerProcess.RunHelperAsync(TrainingScripts.VerifyArguments(TrainingScripts.HelperPath, checkpoint), Ct);
        Assert.Equal(TrainingProtocol.ExitFailure, verify.ExitCode);
        Assert.Contains("state.pt", verify.StandardError, StringComparison.Ordinal);
        Assert.Contains("sha256 mismatch", verify.StandardError, StringComparison.Ordinal);
        var parsed = TrainingProtocolParser.ParseVerifyOutput(verify.StandardOutput);
        Assert.False(parsed.Ok);
        var problem = Assert.Single(parsed.Problems);
        Assert.Equal("state.pt", problem.File);

        var resume = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true), Ct);
        Assert.Equal(TrainingProtocol.ExitNoCheckpoint, resume.ExitCode);
        Assert.Contains("state.pt", resume.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_LeadsToCleanCheckpoint_StoppedMarker_AndExactResume()
    {
        var first = NewDirs("sigterm");
        long stoppedAt;
        await using (var p = TrainingTrainerProcess.Start([TrainingScripts.ReferenceTrainerPath], first.Launch(stepDelayMs: 10).ToEnvironment()))
        {
            var seen = await first.WaitForStepAsync(40, p, Ct);
            p.Terminate();
            var result = await p.WaitAsync(Ct);
            Assert.True(result.ExitCode == 0, result.ToString());
            var stopped = first.ReadStopped();
            Assert.Equal("signal 15", stopped.Reason);
            Assert.InRange(stopped.Step, seen.Step, reference.TotalSteps - 1);
            stoppedAt = stopped.Step;
            await AssertVerifiesAsync(Path.Combine(first.CheckpointDir, stopped.Checkpoint), stoppedAt);
        }

        var second = first.CopyCheckpointsTo(reference.Root, "sigterm-b-" + Guid.NewGuid().ToString("N")[..8]);
        var resumed = await TrainingTrainerProcess.RunTrainerAsync(second.Launch(resume: true), Ct);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(stoppedAt + 1, second.ReadSteps()[0].Step);
        Assert.Equal(reference.FinalHash, second.ReadDone().FinalWeightsSha256);
    }

    [Fact]
    public async Task Status_ReportsStoppedThenDone_AndPaddingIsInTheManifest()
    {
        const long pad = 1024 * 1024;
        var dirs = NewDirs("status");
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 20, padBytes: pad), Ct);
        Assert.True(run.ExitCode == 0, run.ToString());

        var status = await StatusAsync(dirs.JobDir);
        Assert.Equal(TrainingJobState.Stopped, status.State);
        Assert.Equal(20, status.LastProgress?.Step);
        Assert.Equal(20, status.Stopped?.Step);
        Assert.Equal(TrainingProtocol.CheckpointName(20), status.LatestCheckpoint);
        Assert.False(status.StopRequested);

        var checkpoint = Path.Combine(dirs.CheckpointDir, TrainingProtocol.CheckpointName(20));
        var manifest = TrainingProtocolParser.ParseManifest(await File.ReadAllTextAsync(Path.Combine(checkpoint, TrainingProtocol.ManifestFile), Ct));
        Assert.Equal(20, manifest.Step);
        var padding = Assert.Single(manifest.Files, f => f.Path == TrainingProtocol.PaddingFile);
        Assert.Equal(pad, padding.Size);
        Assert.Equal(pad, new FileInfo(Path.Combine(checkpoint, TrainingProtocol.PaddingFile)).Length);
        Assert.Contains(manifest.Files, f => f.Path == "state.pt");
        var verify = await AssertVerifiesAsync(checkpoint, 20);
        Assert.Equal(manifest.TotalBytes, verify.Bytes);
        output.WriteLine($"checkpoint with 1 MiB padding: {dirs.ReadStopped().CheckpointBytes} bytes in {dirs.ReadStopped().CheckpointSeconds * 1000:F1} ms");

        var resumed = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true), Ct);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var done = await StatusAsync(dirs.JobDir);
        Assert.Equal(TrainingJobState.Done, done.State);
        Assert.Null(done.Stopped);
        Assert.Equal(reference.FinalHash, done.Done?.FinalWeightsSha256);
        Assert.Equal(reference.TotalSteps, done.LastProgress?.Step);
    }

    [Fact]
    public async Task Resume_WhenLatestIsCorrupt_FallsBackToTheOlderCheckpoint_AndStillEndsBitIdentical()
    {
        var dirs = NewDirs("fallback");
        var r1 = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 30), Ct);
        Assert.True(r1.ExitCode == 0, r1.ToString());
        var r2 = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true, stopAtStep: 60), Ct);
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Equal("step-60", (await File.ReadAllTextAsync(Path.Combine(dirs.CheckpointDir, TrainingProtocol.LatestFile), Ct)).Trim());

        await File.AppendAllTextAsync(Path.Combine(dirs.CheckpointDir, "step-60", "trainer.json"), " ", Ct);

        var moved = dirs.CopyCheckpointsTo(reference.Root, "fallback-b-" + Guid.NewGuid().ToString("N")[..8]);
        var r3 = await TrainingTrainerProcess.RunTrainerAsync(moved.Launch(resume: true), Ct);
        Assert.True(r3.ExitCode == 0, r3.ToString());
        Assert.Contains("step-60 fails verification", r3.StandardError, StringComparison.Ordinal);
        Assert.Equal("step-30", moved.ReadProgress()[0].Checkpoint);
        Assert.Equal(31, moved.ReadSteps()[0].Step);
        Assert.Equal(reference.FinalHash, moved.ReadDone().FinalWeightsSha256);
    }

    [Fact]
    public async Task Resume_WithoutAnyCheckpoint_ExitsWithTheNoCheckpointCode()
    {
        var dirs = NewDirs("empty");
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true), Ct);
        Assert.Equal(TrainingProtocol.ExitNoCheckpoint, run.ExitCode);
        Assert.Contains("GC_RESUME=1", run.StandardError, StringComparison.Ordinal);
    }

    private async Task<TrainingVerifyResult> AssertVerifiesAsync(string checkpoint, long step)
    {
        var verify = await TrainingTrainerProcess.RunHelperAsync(TrainingScripts.VerifyArguments(TrainingScripts.HelperPath, checkpoint), Ct);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var parsed = TrainingProtocolParser.ParseVerifyOutput(verify.StandardOutput);
        Assert.True(parsed.Ok);
        Assert.Empty(parsed.Problems);
        Assert.Equal(step, parsed.Step);
        return parsed;
    }

    private static async Task<TrainingJobStatus> StatusAsync(string jobDir)
    {
        var status = await TrainingTrainerProcess.RunHelperAsync(TrainingScripts.StatusArguments(TrainingScripts.HelperPath, jobDir), Ct);
        Assert.True(status.ExitCode == 0, status.ToString());
        return TrainingProtocolParser.ParseStatusOutput(status.StandardOutput);
    }
}
