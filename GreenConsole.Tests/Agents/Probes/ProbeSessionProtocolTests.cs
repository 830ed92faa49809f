using GreenConsole.Agents;
using GreenConsole.Agents.Probes;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Agents.Probes;

public class ProbeSessionProtocolTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("@@gc:end 7", 7, "Current")]
    [InlineData("@@gc:end 7\r", 7, "Current")]
    [InlineData("@@gc:end 6", 7, "Stale")]
    [InlineData("@@gc:end 0", 7, "Stale")]
    [InlineData("@@gc:end 8", 7, "Invalid")]
    [InlineData("@@gc:end", 7, "Invalid")]
    [InlineData("@@gc:end ", 7, "Invalid")]
    [InlineData("@@gc:end ?", 7, "Invalid")]
    [InlineData("@@gc:end 7x", 7, "Invalid")]
    [InlineData("@@gc:end -7", 7, "Invalid")]
    [InlineData("@@gc:end7", 7, "Invalid")]
    [InlineData("@@gc:stat", 7, "Data")]
    [InlineData("cpu  1 2 3 4", 7, "Data")]
    [InlineData("", 7, "Data")]
    public void End_markers_are_matched_by_sequence_number(string line, long expected, string kind) =>
        Assert.Equal(Enum.Parse<SessionLineKind>(kind), ProbeSessionProtocol.Classify(line, expected));

    [Theory]
    [InlineData(1, true, "s 1")]
    [InlineData(42, false, "p 42")]
    public void Requests_name_their_kind_and_number(long sequence, bool withStatic, string expected) =>
        Assert.Equal(expected, ProbeSessionProtocol.Request(sequence, withStatic));

    [Fact]
    public void The_static_part_keeps_only_static_sections()
    {
        var answer = new[]
        {
            "motd noise", "@@gc:uname", "Linux 6.1", "@@gc:nproc", "4", "@@gc:cpumodel", "model name\t: Xeon", "@@gc:sockets", "1",
            "@@gc:stat", "cpu  1 2 3 4", "@@gc:nvidia", "@@gc:nvidia-absent", "@@gc:rapl",
        };

        Assert.Equal("@@gc:uname\nLinux 6.1\n@@gc:nproc\n4\n@@gc:cpumodel\nmodel name\t: Xeon\n@@gc:sockets\n1\n", ProbeSessionProtocol.StaticPart(answer));
    }

    public static TheoryData<string, Func<HardwareSample, string?>, string> BuiltinOutputs => new()
    {
        { "@@gc:stat\ncannot read /proc/stat\n", s => s.CpuTimes.MissingReason, "/proc/stat unreadable: cannot read /proc/stat" },
        { "@@gc:meminfo\ncannot read /proc/meminfo\n", s => s.MemoryTotalBytes.MissingReason, "/proc/meminfo unreadable: cannot read /proc/meminfo" },
        { "@@gc:rapl\nintel-rapl:0 unreadable\n", s => s.Rapl.MissingReason, "intel-rapl:0/energy_uj not readable" },
        { "@@gc:rapl\nintel-rapl:0  \n", s => s.Rapl.MissingReason, "RAPL line not understood" },
        { "@@gc:rapl\n", s => s.Rapl.MissingReason, "no RAPL powercap domains" },
        { "@@gc:nvidia\n@@gc:nvidia-absent\n", s => s.Gpus.MissingReason, "nvidia-smi not installed" },
        { "@@gc:nvidia\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n@@gc:nvidia-exit 9\n", s => s.Gpus.MissingReason, "nvidia-smi failed (nvidia-exit 9)" },
        { "@@gc:stat\ncpu  1 2 3 4\n", s => s.OsName.MissingReason, "section 'uname' missing" },
    };

    [Theory]
    [MemberData(nameof(BuiltinOutputs))]
    public void Builtin_answers_keep_the_missing_reasons(string output, Func<HardwareSample, string?> field, string reason) =>
        Assert.Contains(reason, field(ProbeOutputParser.Parse("c", T0, output, null)));

    [Fact]
    public void A_sample_answer_after_the_kept_static_part_parses_every_field()
    {
        var staticPart = "@@gc:uname\nLinux 6.1.0\n@@gc:nproc\n8\n@@gc:cpumodel\nmodel name\t: AMD EPYC 7B13\n@@gc:sockets\n2\n";
        var sample = "@@gc:stat\ncpu  100 0 50 800 50 0 0 0 0 0\n@@gc:meminfo\nMemTotal:       16000 kB\nMemFree:         1000 kB\n" +
            "MemAvailable:    4000 kB\nBuffers:          100 kB\nCached:          2000 kB\n@@gc:nvidia\n@@gc:nvidia-absent\n" +
            "@@gc:rapl\nintel-rapl:0 123456 262143328850\nintel-rapl:1 654321 262143328850";

        var s = ProbeOutputParser.Parse("c", T0, staticPart + sample, new CpuTimes(100, 800));

        Assert.Equal("Linux", s.OsName.Value);
        Assert.Equal("6.1.0", s.KernelRelease.Value);
        Assert.Equal(8, s.LogicalCpus.Value);
        Assert.Equal(2, s.Sockets.Value);
        Assert.Equal("AMD EPYC 7B13", s.CpuModel.Value);
        Assert.Equal(16000L * 1024, s.MemoryTotalBytes.Value);
        Assert.Equal(12000L * 1024, s.MemoryUsedBytes.Value);
        Assert.Equal(new CpuTimes(150, 850), s.CpuTimes.Value);
        Assert.Equal(50.0 / 100, s.CpuUtilization.Value, 9);
        Assert.Equal(["intel-rapl:0", "intel-rapl:1"], s.Rapl.Value.Select(r => r.Domain));
        Assert.Equal(123456UL, s.Rapl.Value[0].EnergyMicrojoules);
    }

    [Fact]
    public async Task A_stale_answer_is_dropped_and_an_answer_from_the_future_is_refused()
    {
        // A real shell plays a confused remote loop: it answers request 1 with a leftover answer 0 first, then
        // request 2 with the number 5, which was never asked for.
        var script = "read q; printf '@@gc:uname\\nStale 0\\n@@gc:end 0\\n@@gc:uname\\nLinux 1\\n@@gc:end 1\\n'; read q; printf '@@gc:stat\\n@@gc:end 5\\n'; read q";
        var shell = new LocalBashShell();
        var target = new SshTarget { CloudId = "c", Host = "127.0.0.1", Username = "u" };
        await using var session = new ProbeSession(await shell.OpenSessionAsync(target, script, CancellationToken.None), target);

        var first = await session.SampleAsync(60, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ProbeSessionProtocolException>(() => session.SampleAsync(60, CancellationToken.None));

        Assert.Equal("@@gc:uname\nLinux 1", first);
        Assert.Contains("expected the end of answer 2", refused.Message);
    }

    [Theory]
    [InlineData("/bin/bash")]
    [InlineData("/bin/sh")]
    public async Task The_session_loop_answers_many_polls_in_a_real_shell_with_specs_on_every_sample(string shellPath)
    {
        var shell = new LocalBashShell { ShellPath = shellPath };
        var clock = new TelemetryTestClock(T0);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Probes:StaticRefreshPolls"] = "3" }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(clock).AddSingleton<IRemoteShell>(shell);
        services.AddGreenConsoleProbes(configuration);
        await using var sp = services.BuildServiceProvider();
        var probe = sp.GetRequiredService<IHardwareProbe>();
        var target = new SshTarget { CloudId = "local", Host = "127.0.0.1", Username = "root" };

        var samples = new List<HardwareSample>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (samples.Count < 8 || (!samples[^1].CpuUtilization.HasValue && DateTime.UtcNow < deadline))
        {
            samples.Add(await probe.SampleAsync(target, CancellationToken.None));
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(1, shell.Sessions);
        Assert.Equal(0, shell.Calls);
        Assert.All(samples, s =>
        {
            Assert.Equal("Linux", s.OsName.Value);
            Assert.Equal(Environment.ProcessorCount, s.LogicalCpus.Value);
            Assert.True(s.MemoryTotalBytes.Value > s.MemoryUsedBytes.Value);
            Assert.True(s.CpuModel.HasValue || s.CpuModel.MissingReason!.Contains("model name"));
            Assert.True(s.Gpus.HasValue || s.Gpus.MissingReason!.Contains("nvidia-smi"));
            Assert.True(s.Rapl.HasValue || s.Rapl.MissingReason!.Contains("RAPL") || s.Rapl.MissingReason!.Contains("readable"));
        });
        Assert.Contains("first sample", samples[0].CpuUtilization.MissingReason);
        Assert.InRange(samples[^1].CpuUtilization.Value, 0, 1);
        Assert.True(samples[^1].CpuTimes.Value.Busy + samples[^1].CpuTimes.Value.Idle > samples[0].CpuTimes.Value.Busy + samples[0].CpuTimes.Value.Idle);
    }

    [Fact]
    public async Task A_poll_timeout_stops_the_session_and_the_next_poll_opens_a_new_one()
    {
        // The loop takes the request and never answers.
        var shell = new LocalBashShell { SessionCommand = "read q; read never" };
        await using var probe = new SshHardwareProbe(shell, TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new ProbeOptions { CommandTimeoutSeconds = 1 }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SshHardwareProbe>.Instance);
        var target = new SshTarget { CloudId = "hung", Host = "127.0.0.1", Username = "u" };

        var first = await Assert.ThrowsAsync<RemoteShellException>(() => probe.SampleAsync(target, CancellationToken.None));
        await WaitUntilGone(shell.SessionPids[0]);
        shell.SessionCommand = null;
        var second = await probe.SampleAsync(target, CancellationToken.None);

        Assert.Equal(RemoteErrorKind.Timeout, first.Kind);
        Assert.Contains("did not answer within 1 s", first.Message);
        Assert.Equal(2, shell.Sessions);
        Assert.Equal(0, shell.Calls);
        Assert.Equal("Linux", second.OsName.Value);
    }

    [Fact]
    public async Task A_session_that_cannot_start_falls_back_to_the_one_shot_command_for_a_while()
    {
        // A login shell that is not POSIX would reject the loop and exit at once.
        var shell = new LocalBashShell { SessionCommand = "echo 'syntax error' >&2; exit 2" };
        await using var probe = new SshHardwareProbe(shell, TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new ProbeOptions { SessionRetryAfterPolls = 2 }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SshHardwareProbe>.Instance);
        var target = new SshTarget { CloudId = "csh", Host = "127.0.0.1", Username = "u" };

        var samples = new List<HardwareSample>();
        for (var i = 0; i < 3; i++)
        {
            samples.Add(await probe.SampleAsync(target, CancellationToken.None));
        }

        // Poll 1: the session dies, the one-shot command answers. Polls 2 and 3: one-shot only.
        Assert.Equal(1, shell.Sessions);
        Assert.Equal(3, shell.Calls);
        Assert.All(samples, s => Assert.Equal("Linux", s.OsName.Value));

        shell.SessionCommand = null;
        await probe.SampleAsync(target, CancellationToken.None);
        Assert.Equal(2, shell.Sessions);
        Assert.Equal(3, shell.Calls);
    }

    private static async Task WaitUntilGone(int pid)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Running(pid))
        {
            Assert.True(DateTime.UtcNow < until, $"session shell {pid} still running");
            await Task.Delay(50);
        }
    }

    private static bool Running(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
