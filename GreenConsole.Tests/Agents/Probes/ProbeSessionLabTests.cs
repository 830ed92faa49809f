using System.Diagnostics;
using System.Globalization;
using GreenConsole.Agents.Probes;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Agents.Ssh;
using GreenConsole.Tests.Lab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Probes;

/// <summary>The probe's long-lived sessions against the real lab sshd, over the real OpenSSH control plane.</summary>
[Collection(SshLabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProbeSessionLabTests(SshLabFixture lab)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task One_session_answers_many_polls_with_deltas_and_specs()
    {
        await using var h = new SshShellHarness();
        await using var probe = Probe(h);
        var target = lab.Cloud("KR").Target;

        var first = await probe.SampleAsync(target, CancellationToken.None);
        var pid = probe.SessionProcessId(target.CloudId);
        Assert.NotNull(pid);
        var samples = new List<HardwareSample> { first };
        var until = DateTime.UtcNow + Deadline;
        while (samples.Count < 5 || (!samples[^1].CpuUtilization.HasValue && DateTime.UtcNow < until))
        {
            samples.Add(await probe.SampleAsync(target, CancellationToken.None));
        }

        Assert.Equal(pid, probe.SessionProcessId(target.CloudId));
        Assert.Contains("first sample", first.CpuUtilization.MissingReason);
        Assert.InRange(samples[^1].CpuUtilization.Value, 0, 1);
        Assert.True(samples[^1].CpuTimes.Value.Total > first.CpuTimes.Value.Total);
        Assert.All(samples, s =>
        {
            // The lab runs on this machine, so its facts are this machine's.
            Assert.Equal("Linux", s.OsName.Value);
            Assert.Equal(Environment.ProcessorCount, s.LogicalCpus.Value);
            Assert.True(s.MemoryTotalBytes.Value > s.MemoryUsedBytes.Value);
            Assert.True(s.CpuModel.HasValue || s.CpuModel.MissingReason!.Contains("model name"));
            Assert.True(s.Gpus.HasValue || s.Gpus.MissingReason!.Contains("nvidia-smi"));
        });
        Assert.Single(SessionClients(h), pid!.Value);
    }

    [Fact]
    public async Task A_killed_session_client_is_replaced_and_polls_go_on()
    {
        await using var h = new SshShellHarness();
        await using var probe = Probe(h);
        var target = lab.Cloud("DE").Target;
        await probe.SampleAsync(target, CancellationToken.None);
        var pid = probe.SessionProcessId(target.CloudId)!.Value;

        using (var client = Process.GetProcessById(pid))
        {
            client.Kill();
            await client.WaitForExitAsync(new CancellationTokenSource(Deadline).Token);
        }

        await PollOnceTolerating(probe, target);
        var after = await probe.SampleAsync(target, CancellationToken.None);

        Assert.True(after.CpuTimes.HasValue);
        Assert.Equal("Linux", after.OsName.Value);
        var replacement = probe.SessionProcessId(target.CloudId);
        Assert.NotNull(replacement);
        Assert.NotEqual(pid, replacement);
    }

    [Fact]
    public async Task A_closed_master_ends_the_session_and_the_next_but_one_poll_works_on_a_new_one()
    {
        await using var h = new SshShellHarness();
        await using var probe = Probe(h);
        var target = lab.Cloud("GB").Target;
        await probe.SampleAsync(target, CancellationToken.None);
        var pid = probe.SessionProcessId(target.CloudId)!.Value;

        await h.Shell.DisconnectAsync(target, CancellationToken.None);
        await PollOnceTolerating(probe, target);
        var after = await probe.SampleAsync(target, CancellationToken.None);

        Assert.True(after.CpuTimes.HasValue);
        Assert.NotEqual(pid, probe.SessionProcessId(target.CloudId));
        await WaitUntil(() => !Directory.Exists($"/proc/{pid}"), $"the old session client {pid} to exit");
    }

    [Fact]
    public async Task A_changed_target_gets_a_new_session()
    {
        await using var h = new SshShellHarness();
        await using var probe = Probe(h);
        var target = lab.Cloud("US").Target;
        await probe.SampleAsync(target, CancellationToken.None);
        var pid = probe.SessionProcessId(target.CloudId)!.Value;
        var pinned = target with { PinnedFingerprint = h.Shell.HostKeyFingerprint(target) };

        var after = await probe.SampleAsync(pinned, CancellationToken.None);

        Assert.True(after.CpuTimes.HasValue);
        Assert.NotEqual(pid, probe.SessionProcessId(target.CloudId));
        await WaitUntil(() => !Directory.Exists($"/proc/{pid}"), $"the replaced session client {pid} to exit");
    }

    [Fact]
    public async Task Forget_and_dispose_leave_no_ssh_client_behind()
    {
        await using var h = new SshShellHarness();
        var probe = Probe(h);
        var targets = lab.Clouds.Select(c => c.KeyTarget).ToList();
        foreach (var t in targets)
        {
            await probe.SampleAsync(t, CancellationToken.None);
        }

        Assert.Equal(targets.Count, SessionClients(h).Count);
        var forgotten = probe.SessionProcessId(targets[0].CloudId)!.Value;

        probe.Forget(targets[0].CloudId);
        await WaitUntil(() => !SessionClients(h).Contains(forgotten), "the forgotten cloud's session client to exit");
        Assert.Equal(targets.Count - 1, SessionClients(h).Count);
        Assert.Null(probe.SessionProcessId(targets[0].CloudId));

        await probe.DisposeAsync();
        await WaitUntil(() => SessionClients(h).Count == 0, "every session client to exit after dispose");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => probe.SampleAsync(targets[1], CancellationToken.None));
    }

    private static SshHardwareProbe Probe(SshShellHarness h, ProbeOptions? options = null) =>
        new(h.Shell, TimeProvider.System, Options.Create(options ?? new ProbeOptions()), NullLogger<SshHardwareProbe>.Instance);

    /// <summary>The poll right after a session died may fail (classified) or already succeed on the one-shot path.</summary>
    private static async Task PollOnceTolerating(SshHardwareProbe probe, SshTarget target)
    {
        try
        {
            var sample = await probe.SampleAsync(target, CancellationToken.None);
            Assert.Equal(target.CloudId, sample.CloudId);
        }
        catch (RemoteShellException ex)
        {
            Assert.NotEqual(RemoteErrorKind.HostKeyChanged, ex.Kind);
        }
    }

    /// <summary>This process's ssh children that name the harness's ControlMaster folder (the masters are not our children).</summary>
    private static List<int> SessionClients(SshShellHarness h)
    {
        var self = Environment.ProcessId;
        return SshShellHarness.ProcessesMentioning(h.Shell.ControlDirectory).Where(pid => ParentOf(pid) == self).ToList();
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
