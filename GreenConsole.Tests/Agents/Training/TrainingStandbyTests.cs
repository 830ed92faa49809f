using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>
/// Warm standby (GC_STANDBY=1, Job.wait_for_go) and the .verified marker, with the shipped scripts as real processes.
/// </summary>
public sealed class TrainingStandbyTests(TrainingReferenceRunFixture reference) : IClassFixture<TrainingReferenceRunFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private TrainingJobDirs NewDirs(string name) => new(reference.Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    private static Dictionary<string, string> StandbyEnvironment(TrainingJobDirs dirs, int timeoutSeconds = 120)
    {
        var env = new Dictionary<string, string>(new TrainingLaunch(dirs.JobDir, dirs.CheckpointDir, Resume: true).ToEnvironment(), StringComparer.Ordinal)
        {
            [TrainingProtocol.StandbyVariable] = "1",
            [TrainingProtocol.StandbyTimeoutVariable] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return env;
    }

    /// <summary>A checkpoint step-k in fresh directories, as a migration target holds it after the transfer.</summary>
    private async Task<TrainingJobDirs> CheckpointedAsync(string name, long k)
    {
        var source = NewDirs(name + "-src");
        var run = await TrainingTrainerProcess.RunTrainerAsync(source.Launch(stopAtStep: k), Ct);
        Assert.True(run.ExitCode == 0, run.ToString());
        return source.CopyCheckpointsTo(reference.Root, name + "-dst-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private static async Task<TrainingProcessResult> WaitExitAsync(TrainingTrainerProcess p)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await p.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task Standby_waits_for_go_then_resumes_at_the_next_step_and_ends_bit_identical()
    {
        const long k = 60;
        var dirs = await CheckpointedAsync("go", k);
        await using var standby = TrainingTrainerProcess.Start([TrainingScripts.ReferenceTrainerPath], StandbyEnvironment(dirs));

        // The standby is invisible to status until go: no job.json, no progress. It says when its set-up is done.
        Directory.CreateDirectory(dirs.JobDir);
        var ready = Path.Combine(dirs.JobDir, TrainingProtocol.ReadyFile);
        var until = DateTime.UtcNow + Deadline;
        while (!File.Exists(ready) && !standby.HasExited && DateTime.UtcNow < until)
        {
            await Task.Delay(20, Ct);
        }

        Assert.True(File.Exists(ready), "the standby never reported ready");
        Assert.Equal(standby.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), (await File.ReadAllTextAsync(ready, Ct)).Trim());
        Assert.False(dirs.HasMarker(TrainingProtocol.JobFile));
        await File.WriteAllTextAsync(Path.Combine(dirs.JobDir, TrainingProtocol.GoFile), "", Ct);
        var result = await WaitExitAsync(standby);
        Assert.True(result.ExitCode == 0, result.ToString());
        var events = dirs.ReadProgress();
        Assert.Equal("resume", events[0].Event);
        Assert.Equal(k, events[0].Step);
        Assert.Equal(k + 1, dirs.ReadSteps()[0].Step);
        Assert.Equal(reference.FinalHash, dirs.ReadDone().FinalWeightsSha256);
        Assert.False(File.Exists(Path.Combine(dirs.JobDir, TrainingProtocol.GoFile)), "go is consumed");
        Assert.False(File.Exists(ready), "a released standby is no longer ready-and-waiting");
    }

    [Fact]
    public async Task Standby_exits_cleanly_on_a_stop_request_without_touching_the_job()
    {
        var dirs = await CheckpointedAsync("stop", 30);
        Directory.CreateDirectory(dirs.JobDir);
        await using var standby = TrainingTrainerProcess.Start([TrainingScripts.ReferenceTrainerPath], StandbyEnvironment(dirs));
        // A stop request is honoured only once it is newer than the process: keep renewing it until the standby leaves.
        var stop = Path.Combine(dirs.JobDir, TrainingProtocol.StopFile);
        var until = DateTime.UtcNow + Deadline;
        while (!standby.HasExited && DateTime.UtcNow < until)
        {
            await File.WriteAllTextAsync(stop, "", Ct);
            File.SetLastWriteTimeUtc(stop, DateTime.UtcNow);
            await Task.Delay(200, Ct);
        }

        var result = await WaitExitAsync(standby);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("standby ended without a go (stop file)", result.StandardError, StringComparison.Ordinal);
        Assert.False(dirs.HasMarker(TrainingProtocol.JobFile));
        Assert.False(File.Exists(dirs.ProgressPath));
    }

    [Fact]
    public async Task Standby_exits_by_itself_after_its_timeout()
    {
        var dirs = await CheckpointedAsync("timeout", 30);
        await using var standby = TrainingTrainerProcess.Start([TrainingScripts.ReferenceTrainerPath], StandbyEnvironment(dirs, timeoutSeconds: 1));
        var result = await WaitExitAsync(standby);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("GC_STANDBY_TIMEOUT_S=1 expired", result.StandardError, StringComparison.Ordinal);
        Assert.False(dirs.HasMarker(TrainingProtocol.JobFile));
    }

    private static async Task<TrainingProcessResult> PythonAsync(string code, params string[] args) =>
        await TrainingTrainerProcess.RunHelperAsync(
            ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import greenconsole_train as g; " + code, TrainingScripts.Directory, .. args], Ct);

    [Fact]
    public async Task Verified_marker_is_trusted_only_while_it_matches_the_manifest_and_the_location()
    {
        var dirs = await CheckpointedAsync("marker", 40);
        var checkpoint = Path.Combine(dirs.CheckpointDir, TrainingProtocol.CheckpointName(40));
        var marked = await TrainingTrainerProcess.RunHelperAsync([TrainingScripts.HelperPath, "verify", "--mark", checkpoint], Ct);
        Assert.True(marked.ExitCode == 0, marked.ToString());
        Assert.True(File.Exists(Path.Combine(checkpoint, TrainingProtocol.VerifiedFile)));
        Assert.Equal("True", (await PythonAsync("print(g.is_verified(sys.argv[2]))", checkpoint)).StandardOutput.Trim());
        // The marker never makes a checkpoint fail its own verification.
        Assert.Equal(0, (await TrainingTrainerProcess.RunHelperAsync([TrainingScripts.HelperPath, "verify", checkpoint], Ct)).ExitCode);

        // Copied elsewhere (as a transfer would), the marker names another path: not trusted.
        var copy = NewDirs("marker-copy");
        TrainingJobDirs.CopyDirectory(dirs.CheckpointDir, copy.CheckpointDir);
        var copied = Path.Combine(copy.CheckpointDir, TrainingProtocol.CheckpointName(40));
        Assert.Equal("False", (await PythonAsync("print(g.is_verified(sys.argv[2]))", copied)).StandardOutput.Trim());

        // A manifest changed after the marker was written: not trusted, and the corrupt file is found on resume.
        var manifest = Path.Combine(checkpoint, TrainingProtocol.ManifestFile);
        await File.AppendAllTextAsync(manifest, " ", Ct);
        Assert.Equal("False", (await PythonAsync("print(g.is_verified(sys.argv[2]))", checkpoint)).StandardOutput.Trim());
        await using (var f = new FileStream(Path.Combine(checkpoint, "state.pt"), FileMode.Open, FileAccess.Write))
        {
            f.Position = 200;
            f.WriteByte((byte)'Z');
        }

        var resumed = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true), Ct);
        Assert.Equal(TrainingProtocol.ExitNoCheckpoint, resumed.ExitCode);
        Assert.Contains("sha256 mismatch", resumed.StandardError, StringComparison.Ordinal);

        // A failed verify --mark removes any marker.
        var again = await TrainingTrainerProcess.RunHelperAsync([TrainingScripts.HelperPath, "verify", "--mark", checkpoint], Ct);
        Assert.Equal(1, again.ExitCode);
        Assert.False(File.Exists(Path.Combine(checkpoint, TrainingProtocol.VerifiedFile)));
    }

    [Fact]
    public async Task Large_padding_is_sharded_and_verifies()
    {
        const long pad = (64L * 1024 * 1024) + 12345;
        var dirs = NewDirs("shards");
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 3, padBytes: pad), Ct);
        Assert.True(run.ExitCode == 0, run.ToString());
        var checkpoint = Path.Combine(dirs.CheckpointDir, TrainingProtocol.CheckpointName(3));
        var manifest = TrainingProtocolParser.ParseManifest(await File.ReadAllTextAsync(Path.Combine(checkpoint, TrainingProtocol.ManifestFile), Ct));
        var shards = manifest.Files.Where(f => f.Path.StartsWith("padding-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["padding-000.bin", "padding-001.bin"], shards.Select(s => s.Path));
        Assert.Equal(pad, shards.Sum(s => s.Size));
        Assert.NotEqual(shards[0].Sha256, shards[1].Sha256);
        var verify = await TrainingTrainerProcess.RunHelperAsync([TrainingScripts.HelperPath, "verify", checkpoint], Ct);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
