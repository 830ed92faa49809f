using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Agents.Ssh;
using GreenConsole.Tests.Lab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Training.Remote;

/// <summary>The remote training agent against the real sshd lab and the real PyTorch reference trainer.</summary>
[Collection(SshLabCollection.Name)]
public sealed class RemoteTrainingAgentTests(SshLabFixture lab)
{
    private static RemoteTrainingAgent NewAgent(IRemoteShell shell) =>
        new(shell, Options.Create(new TrainingAgentOptions()), TimeProvider.System, NullLogger<RemoteTrainingAgent>.Instance);

    [Fact]
    public async Task Deploy_is_idempotent_and_checked_by_sha256()
    {
        await using var harness = new SshShellHarness();
        var agent = NewAgent(harness.Shell);
        var cloud = lab.Cloud("GB").Target;
        await harness.Shell.RunAsync(cloud, "rm -rf \"$HOME/.greenconsole/bin\"", TimeSpan.FromSeconds(30), CancellationToken.None);

        var first = await agent.DeployAsync(cloud, CancellationToken.None);
        var second = await agent.DeployAsync(cloud, CancellationToken.None);
        await harness.Shell.RunAsync(cloud, "echo '# tampered' >> \"$HOME/.greenconsole/bin/greenconsole_train.py\"", TimeSpan.FromSeconds(30), CancellationToken.None);
        var third = await agent.DeployAsync(cloud, CancellationToken.None);

        Assert.True(first.Uploaded);
        Assert.False(second.Uploaded);
        Assert.True(third.Uploaded);
    }

    [Fact]
    public async Task Start_stop_copy_verify_and_resume_on_another_cloud()
    {
        await using var harness = new SshShellHarness();
        var agent = NewAgent(harness.Shell);
        var source = lab.Cloud("KR").Target;
        var target = lab.Cloud("CA").Target;
        var spec = new TrainingJobSpec { JobId = "agent-" + Guid.NewGuid().ToString("N")[..8], Seed = 7, Epochs = 1, StepDelayMs = 40 };

        var launch = await agent.StartAsync(source, spec, resume: false, CancellationToken.None);
        Assert.Equal(0, launch.ProgressOffset);
        await Assert.ThrowsAsync<TrainingJobException>(() => agent.StartAsync(source, spec, resume: false, CancellationToken.None));

        var offset = launch.ProgressOffset;
        var lines = new List<TrainingProgressPoint>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!lines.Any(l => l.IsStep && l.Step >= 3))
        {
            Assert.True(DateTime.UtcNow < deadline, "no progress within 60 s");
            var poll = await agent.PollAsync(source, spec.JobId, offset, CancellationToken.None);
            lines.AddRange(poll.Lines);
            offset = poll.NextOffset;
        }

        await agent.RequestStopAsync(source, spec.JobId, CancellationToken.None);
        TrainingPoll stopped;
        deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "job did not stop within 60 s");
            stopped = await agent.PollAsync(source, spec.JobId, offset, CancellationToken.None);
            lines.AddRange(stopped.Lines);
            offset = stopped.NextOffset;
        }
        while (stopped.Status.State != RemoteJobState.Stopped);

        var k = stopped.Status.StoppedStep!.Value;
        var checkpoint = stopped.Status.StoppedCheckpoint!;
        Assert.Equal("step-" + k, checkpoint);
        Assert.Equal(Enumerable.Range(1, (int)k).Select(i => (long)i), lines.Where(l => l.IsStep).Select(l => l.Step));

        var copy = await agent.CopyCheckpointAsync(source, target, spec.JobId, checkpoint, CancellationToken.None);
        Assert.True(copy.Bytes > 10_000);
        var verified = await agent.VerifyCheckpointAsync(target, spec.JobId, checkpoint, CancellationToken.None);
        Assert.True(verified.Ok, string.Join("; ", verified.Problems));
        Assert.Equal(k, verified.Step);

        await agent.SetLatestCheckpointAsync(target, spec.JobId, checkpoint, CancellationToken.None);
        var resumed = await agent.StartAsync(target, spec with { StepDelayMs = 0 }, resume: true, CancellationToken.None);
        offset = resumed.ProgressOffset;
        var after = new List<TrainingProgressPoint>();
        TrainingPoll done;
        deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "resumed job did not finish within 90 s");
            done = await agent.PollAsync(target, spec.JobId, offset, CancellationToken.None);
            after.AddRange(done.Lines);
            offset = done.NextOffset;
        }
        while (done.Status.State != RemoteJobState.Done || done.MoreProgress);

        // A done status means every line was read: the resumed log is exactly steps k+1..total, none lost at the end.
        var total = done.Status.TotalSteps!.Value;
        Assert.Equal(Enumerable.Range((int)k + 1, (int)(total - k)).Select(i => (long)i), after.Where(l => l.IsStep).Select(l => l.Step));
        Assert.Matches("^[0-9a-f]{64}$", done.Status.FinalWeightsSha256);
        Assert.Equal(done.Status.TotalSteps, done.Status.DoneStep);
    }

    [Fact]
    public async Task Corrupted_checkpoint_is_refused_and_unreachable_host_is_not_a_job_failure()
    {
        await using var harness = new SshShellHarness(o => o.ConnectTimeoutSeconds = 2);
        var agent = NewAgent(harness.Shell);
        var cloud = lab.Cloud("DE").Target;
        var spec = new TrainingJobSpec { JobId = "agentv-" + Guid.NewGuid().ToString("N")[..8], Seed = 3, Epochs = 1 };
        await agent.StartAsync(cloud, spec, resume: false, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        TrainingPoll poll;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "job did not finish within 90 s");
            poll = await agent.PollAsync(cloud, spec.JobId, 0, CancellationToken.None);
        }
        while (poll.Status.State != RemoteJobState.Done);

        var checkpoint = poll.Status.LatestCheckpoint!;
        Assert.True((await agent.VerifyCheckpointAsync(cloud, spec.JobId, checkpoint, CancellationToken.None)).Ok);
        await harness.Shell.RunAsync(cloud,
            $"f=\"$HOME/.greenconsole/jobs/{spec.JobId}/ckpt/{checkpoint}/state.pt\"; printf 'X' | dd of=\"$f\" bs=1 seek=100 conv=notrunc 2>/dev/null",
            TimeSpan.FromSeconds(30), CancellationToken.None);
        var bad = await agent.VerifyCheckpointAsync(cloud, spec.JobId, checkpoint, CancellationToken.None);
        Assert.False(bad.Ok);
        Assert.Contains(bad.Problems, p => p.Contains("state.pt", StringComparison.Ordinal) && p.Contains("sha256", StringComparison.Ordinal));

        var dead = cloud with { CloudId = "dead", Port = SshLabFixture.UnusedPort() };
        var e = await Assert.ThrowsAsync<RemoteShellException>(() => agent.PollAsync(dead, spec.JobId, 0, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostUnreachable, e.Kind);
    }

    [Fact]
    public async Task Kill_ends_a_researchers_command_with_its_whole_process_group()
    {
        await using var harness = new SshShellHarness();
        var agent = NewAgent(harness.Shell);
        var cloud = lab.Cloud("DE").Target;
        var id = "kill-" + Guid.NewGuid().ToString("N")[..8];
        var marker = "3" + Random.Shared.Next(100, 999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var spec = new TrainingJobSpec
        {
            JobId = id,
            Workload = new GreenConsole.Core.Jobs.Definitions.JobWorkload
            {
                Mode = GreenConsole.Core.Jobs.Definitions.JobMode.Command,
                ProjectOnCloud = "~",
                // A background child in the same group: killing the shell alone would leave it running.
                Command = $"sleep {marker}1 & sleep {marker}2",
            },
        };
        await agent.StartAsync(cloud, spec, resume: false, CancellationToken.None);
        async Task<string> SleepsAsync() => (await harness.Shell.RunAsync(cloud, $"pgrep -u \"$(id -u)\" -f 'slee[p] {marker}' || true", TimeSpan.FromSeconds(30), CancellationToken.None)).StandardOutput.Trim();
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await SleepsAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 2 && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.True(await agent.KillAsync(cloud, id, CancellationToken.None));
        until = DateTime.UtcNow.AddSeconds(10);
        while (await SleepsAsync() != "" && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Equal("", await SleepsAsync());
        await harness.Shell.RunAsync(cloud, $"rm -rf \"$HOME/.greenconsole/jobs/{id}\"", TimeSpan.FromSeconds(30), CancellationToken.None);
    }
}
