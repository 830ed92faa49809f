using GreenConsole.Agents;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Agents.Probes;

public class SshHardwareProbeEndToEndTests
{
    [Fact]
    public async Task The_batched_command_runs_in_a_real_shell_and_parses_this_machine()
    {
        var shell = new LocalBashShell();
        var clock = new TelemetryTestClock(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(clock).AddSingleton<IRemoteShell>(shell);
        // The one-shot path: the fallback when a session cannot start, and the whole probe with sessions off.
        services.AddGreenConsoleProbes(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Probes:PersistentSessions"] = "false" }).Build());
        using var sp = services.BuildServiceProvider();
        var probe = sp.GetRequiredService<IHardwareProbe>();
        var target = new SshTarget { CloudId = "local", Host = "127.0.0.1", Username = "root" };

        var first = await probe.SampleAsync(target, CancellationToken.None);
        Assert.Contains("first sample", first.CpuUtilization.MissingReason);

        // Utilisation needs the jiffy counters to move; poll until they do, with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HardwareSample second;
        do
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            second = await probe.SampleAsync(target, CancellationToken.None);
        }
        while (!second.CpuUtilization.HasValue && DateTime.UtcNow < deadline);

        Assert.Equal("Linux", second.OsName.Value);
        Assert.Equal(Environment.ProcessorCount, second.LogicalCpus.Value);
        Assert.InRange(second.CpuUtilization.Value, 0, 1);
        Assert.True(second.MemoryTotalBytes.Value > second.MemoryUsedBytes.Value);
        Assert.True(second.CpuModel.HasValue || second.CpuModel.MissingReason!.Contains("model name"));
        Assert.True(second.Gpus.HasValue || second.Gpus.MissingReason!.Contains("nvidia-smi"));
        Assert.True(second.Rapl.HasValue || second.Rapl.MissingReason!.Contains("RAPL") || second.Rapl.MissingReason!.Contains("readable"));
        Assert.Equal(shell.Calls, 1 + (int)((second.At - first.At).Ticks / TimeSpan.FromSeconds(10).Ticks)); // one command per poll

        var power = PowerModel.Estimate(second, first);
        Assert.NotNull(power.Cpu);
        Assert.True(power.TotalW > 0);
    }
}
