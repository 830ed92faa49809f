using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>
/// The helper's liveness check decides whether the controller thinks a job still runs; a process that exited but
/// was not reaped (a zombie) must count as gone, or a crashed job would look alive until its parent reaps it.
/// </summary>
public sealed class TrainingLivenessTests
{
    [Fact]
    public async Task A_running_process_is_alive_and_a_zombie_or_a_missing_pid_is_not()
    {
        // The parent forks a child that exits at once and is never reaped, prints both pids, then probes them with
        // the helper's own check from inside the same interpreter (it has imported the shipped module).
        var script = string.Join('\n',
            "import os, sys, time",
            $"sys.path.insert(0, {Quote(TrainingScripts.Directory)})",
            "import greenconsole_train as g",
            "child = os.fork()",
            "if child == 0:",
            "    os._exit(0)",
            "deadline = time.monotonic() + 30",
            "while g._proc_state(child) != 'Z' and time.monotonic() < deadline:",
            "    time.sleep(0.01)",
            "print(g._proc_state(child), g._pid_alive(child), g._pid_alive(os.getpid()), g._pid_alive(2**22 + 1))");

        var result = await TrainingTrainerProcess.RunAsync(["-c", script], null, CancellationToken.None);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Z False True False", result.StandardOutput.Trim());
    }

    private static string Quote(string path) => "'" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
