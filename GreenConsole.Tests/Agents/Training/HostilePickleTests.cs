using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>
/// The helper's static pickle check and the trainer's safe loader against checkpoints a hostile cloud could write:
/// real torch files made by python3, then re-signed in the manifest so that only the content check can refuse them.
/// </summary>
public sealed class HostilePickleTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("gc-hostile-pickle-");

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>Python that rewrites state.pt in a stopped checkpoint, then fixes the manifest's sizes and hashes.</summary>
    private static string Poison(string checkpoint, string marker, string how) => $$"""
        import os, sys, io, json, pickle, zipfile, torch
        sys.path.insert(0, {{Py(Path.GetDirectoryName(TrainingScripts.HelperPath)!)}})
        import greenconsole_train as g
        d = {{Py(checkpoint)}}
        class Evil:
            def __reduce__(self):
                return (os.system, ("touch " + {{Py(marker)}},))
        state = os.path.join(d, "state.pt")
        how = {{Py(how)}}
        if how == "zip":
            t = torch.load(state, weights_only=True)
            t["payload"] = Evil()
            torch.save(t, state)
        elif how == "second-pickle":
            with open(state, "wb") as f:
                f.write(pickle.dumps({"a": 1}, protocol=2) + pickle.dumps(Evil(), protocol=2))
        elif how == "pickle-then-zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("state/data.pkl", pickle.dumps({"a": 1}, protocol=2))
            with open(state, "wb") as f:
                f.write(pickle.dumps(Evil(), protocol=2) + buf.getvalue())
        elif how == "protocol-4":
            with open(state, "wb") as f:
                f.write(pickle.dumps(Evil(), protocol=4))
        m = json.load(open(os.path.join(d, "manifest.json")))
        for e in m["files"]:
            p = os.path.join(d, e["path"])
            e["size"] = os.path.getsize(p)
            e["sha256"] = g.sha256_file(p)
        json.dump(m, open(os.path.join(d, "manifest.json"), "w"))
        """;

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    [Theory]
    [InlineData("zip")]
    [InlineData("second-pickle")]
    [InlineData("pickle-then-zip")]
    [InlineData("protocol-4")]
    public async Task A_checkpoint_whose_pickle_would_run_code_is_refused_by_verify_and_by_resume_and_never_runs(string how)
    {
        var dirs = new TrainingJobDirs(_root.FullName, how);
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 12), Ct, "--epochs", "1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var checkpoint = Path.Combine(dirs.CheckpointDir, dirs.ReadStopped().Checkpoint);
        var marker = Path.Combine(_root.FullName, "pwned-" + how);
        var script = Path.Combine(_root.FullName, "poison-" + how + ".py");
        await File.WriteAllTextAsync(script, Poison(checkpoint, marker, how), Ct);
        var poisoned = await TrainingTrainerProcess.RunAsync([script], null, Ct);
        Assert.True(poisoned.ExitCode == 0, poisoned.ToString());

        var verify = await TrainingTrainerProcess.RunHelperAsync(TrainingScripts.VerifyArguments(TrainingScripts.HelperPath, checkpoint), Ct);
        Assert.Equal(TrainingProtocol.ExitFailure, verify.ExitCode);
        var parsed = TrainingProtocolParser.ParseVerifyOutput(verify.StandardOutput);
        var problems = parsed.Problems.Where(p => p.File == "state.pt").ToList();
        Assert.All(problems, p => Assert.True(p.Unsafe, p.Problem));
        Assert.Contains(problems, p => p.Problem.Contains("names posix.system", StringComparison.Ordinal));

        var resume = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(resume: true), Ct, "--epochs", "1");
        Assert.Equal(TrainingProtocol.ExitNoCheckpoint, resume.ExitCode);
        Assert.Contains("state.pt", resume.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the payload ran");
    }

    [Fact]
    public async Task A_damaged_copy_is_a_checksum_problem_not_an_unsafe_one()
    {
        var dirs = new TrainingJobDirs(_root.FullName, "damaged");
        var run = await TrainingTrainerProcess.RunTrainerAsync(dirs.Launch(stopAtStep: 12), Ct, "--epochs", "1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var state = Path.Combine(dirs.CheckpointDir, dirs.ReadStopped().Checkpoint, "state.pt");
        var bytes = await File.ReadAllBytesAsync(state, Ct);
        bytes[200] ^= 0x5a;
        await File.WriteAllBytesAsync(state, bytes, Ct);
        var verify = await TrainingTrainerProcess.RunHelperAsync(TrainingScripts.VerifyArguments(TrainingScripts.HelperPath, Path.GetDirectoryName(state)!), Ct);
        var problem = Assert.Single(TrainingProtocolParser.ParseVerifyOutput(verify.StandardOutput).Problems);
        Assert.False(problem.Unsafe);
        Assert.Contains("sha256 mismatch", problem.Problem, StringComparison.Ordinal);
    }
}
