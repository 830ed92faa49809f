using GreenConsole.Agents.Probes;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Tests.Support;

namespace GreenConsole.Tests.Agents.Probes;

public class ProbeOutputParserTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Data(string file) => File.ReadAllText(TelemetryRepoPaths.ProbeData(file));

    [Fact]
    public void Real_recording_of_this_vm_parses_every_linux_field()
    {
        var first = ProbeOutputParser.Parse("vm", T0, Data("linux-vm-xeon-2cpu.real.1.txt"), null);
        var second = ProbeOutputParser.Parse("vm", T0.AddSeconds(5), Data("linux-vm-xeon-2cpu.real.2.txt"), first.CpuTimes.Value);

        Assert.Equal("Linux", first.OsName.Value);
        Assert.Equal("6.18.44-fc-v595", first.KernelRelease.Value);
        Assert.Equal(2, first.LogicalCpus.Value);
        Assert.Equal(1, first.Sockets.Value);
        Assert.Equal("Intel(R) Xeon(R) Processor @ 2.50GHz", first.CpuModel.Value);
        Assert.Equal(24684096L * 1024, first.MemoryTotalBytes.Value);
        Assert.Equal((24684096L - 23674408L) * 1024, first.MemoryUsedBytes.Value);
        Assert.Contains("first sample", first.CpuUtilization.MissingReason);
        Assert.Contains("nvidia-smi not installed", first.Gpus.MissingReason);
        Assert.Contains("no RAPL powercap domains", first.Rapl.MissingReason);

        // cpu 59882 0 8567 73116 1235 0 281 825 → cpu 59948 0 8577 73116 1235 0 281 825: busy +76, idle +0.
        Assert.Equal(1.0, second.CpuUtilization.Value, 9);
        Assert.Equal(new CpuTimes(59882 + 8567 + 281 + 825, 73116 + 1235), first.CpuTimes.Value);
    }

    [Fact]
    public void A_reading_in_the_same_clock_tick_is_too_soon_and_one_that_went_back_is_a_reboot()
    {
        var first = ProbeOutputParser.Parse("vm", T0, Data("linux-vm-xeon-2cpu.real.2.txt"), null);
        var again = ProbeOutputParser.Parse("vm", T0.AddMilliseconds(3), Data("linux-vm-xeon-2cpu.real.2.txt"), first.CpuTimes.Value);
        var rebooted = ProbeOutputParser.Parse("vm", T0.AddSeconds(5), Data("linux-vm-xeon-2cpu.real.1.txt"), first.CpuTimes.Value);

        Assert.Equal(ProbeOutputParser.NoTimeElapsed, again.CpuUtilization.MissingReason);
        Assert.Contains("went backwards", rebooted.CpuUtilization.MissingReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_gpus_parse_with_units_converted()
    {
        var gpus = ProbeOutputParser.ParseNvidiaSmi(Data("nvidia-smi.synthetic.h100x2.txt")).Value;

        Assert.Equal(2, gpus.Count);
        Assert.Equal((0, "NVIDIA H100 80GB HBM3"), (gpus[0].Index, gpus[0].Name.Value));
        Assert.Equal(0.97, gpus[0].Utilization.Value, 9);
        Assert.Equal(71234L * 1024 * 1024, gpus[0].MemoryUsedBytes.Value);
        Assert.Equal(81559L * 1024 * 1024, gpus[0].MemoryTotalBytes.Value);
        Assert.Equal(689.41, gpus[0].PowerDrawWatts.Value, 9);
        Assert.Equal(700, gpus[1].PowerLimitWatts.Value, 9);
        Assert.Equal(72.18, gpus[1].PowerDrawWatts.Value, 9);
    }

    [Fact]
    public void Na_and_not_supported_fields_are_missing_with_the_reported_text()
    {
        var gpus = ProbeOutputParser.ParseNvidiaSmi(Data("nvidia-smi.synthetic.na-fields.txt")).Value;

        Assert.Equal(3, gpus.Count);
        Assert.Equal("power.draw reported '[N/A]'", gpus[0].PowerDrawWatts.MissingReason);
        Assert.Equal("power.limit reported '[N/A]'", gpus[0].PowerLimitWatts.MissingReason);
        Assert.Equal("utilization.gpu reported '[Not Supported]'", gpus[1].Utilization.MissingReason);
        Assert.Equal(75, gpus[1].PowerLimitWatts.Value);
        Assert.Equal(2048L * 1024 * 1024, gpus[0].MemoryUsedBytes.Value);

        // The power model then estimates the A100 from limit × utilisation and names the K80 and GeForce as missing.
        var sample = ProbeOutputParser.Parse("g", T0, Data("linux-vm-xeon-2cpu.real.1.txt"), null) with { Gpus = ProbeField<IReadOnlyList<GpuSample>>.Of(gpus) };
        var power = PowerModel.Estimate(sample, null);
        Assert.Equal(400 * 0.12, power.GpuW, 9);
        Assert.Equal(DataQuality.Estimated, power.Gpu!.Quality);
        Assert.Contains(power.Missing, m => m.StartsWith("gpu 0"));
        Assert.Contains(power.Missing, m => m.StartsWith("gpu 1"));
    }

    [Fact]
    public void Darwin_host_gives_clear_missing_fields_not_a_crash()
    {
        var sample = ProbeOutputParser.Parse("mac", T0, Data("probe.synthetic.darwin.txt"), null);

        Assert.Equal("Darwin", sample.OsName.Value);
        Assert.Equal(8, sample.LogicalCpus.Value);
        Assert.Equal("/proc/stat unavailable: not Linux (Darwin)", sample.CpuTimes.MissingReason);
        Assert.Contains("not Linux (Darwin)", sample.MemoryTotalBytes.MissingReason);
        Assert.Contains("not Linux (Darwin)", sample.CpuModel.MissingReason);
        Assert.Contains("not Linux (Darwin)", sample.Sockets.MissingReason);
        Assert.Contains("not Linux (Darwin)", sample.Rapl.MissingReason);
        Assert.Contains("nvidia-smi not installed", sample.Gpus.MissingReason);

        var power = PowerModel.Estimate(sample, null);
        Assert.Null(power.Cpu);
        Assert.Null(power.Ram);
        Assert.Equal(2, power.Missing.Count);
    }

    [Fact]
    public void Broken_driver_and_root_only_rapl_are_reported()
    {
        var sample = ProbeOutputParser.Parse("old", T0, Data("probe.synthetic.linux-driver-broken-rapl-root-only.txt"), new CpuTimes(0, 0));

        Assert.StartsWith("nvidia-smi failed (nvidia-exit 9): NVIDIA-SMI has failed", sample.Gpus.MissingReason);
        Assert.Contains("not readable", sample.Rapl.MissingReason);
        Assert.Equal((65842028L - 60123456L - 123456L - 2345678L) * 1024, sample.MemoryUsedBytes.Value); // no MemAvailable: Free + Buffers + Cached
        Assert.Equal((4705 + 150 + 1120 + 25) / (double)(4705 + 150 + 1120 + 25 + 16250 + 520), sample.CpuUtilization.Value, 9);
    }

    [Fact]
    public void Two_gpu_rapl_host_gives_measured_power_across_a_counter_wrap()
    {
        var first = ProbeOutputParser.Parse("h", T0, Data("probe.synthetic.linux-h100x2-rapl.1.txt"), null);
        var second = ProbeOutputParser.Parse("h", T0.AddSeconds(10), Data("probe.synthetic.linux-h100x2-rapl.2.txt"), first.CpuTimes.Value);

        var power = PowerModel.Estimate(second, first);

        Assert.Equal(2, second.Rapl.Value.Count);
        Assert.Equal(7000 / 9000.0, second.CpuUtilization.Value, 9);
        Assert.Equal((2_000_000_000.0 + 2_000_000_000.0) / 1e6 / 10, power.CpuW, 9); // 400 W; package 0 wrapped: 328,850 + 1,999,671,150 µJ
        Assert.Equal(DataQuality.Measured, power.Cpu!.Quality);
        Assert.Equal(689.41 + 72.18, power.GpuW, 9);
        Assert.Equal(DataQuality.Measured, power.Gpu!.Quality);
        Assert.Equal(2113929216.0 / 1024 / 1024 * 0.375, power.RamW, 6);
    }

    [Fact]
    public void Truncated_output_names_the_missing_sections()
    {
        var sample = ProbeOutputParser.Parse("t", T0, "@@gc:uname\nLinux 6.1\n@@gc:stat\ncpu  1 2 3 4 5 6 7 8 0 0\n", null);

        Assert.Equal("Linux", sample.OsName.Value);
        Assert.Contains("section 'meminfo' missing", sample.MemoryTotalBytes.MissingReason);
        Assert.Contains("section 'nvidia' missing", sample.Gpus.MissingReason);
        Assert.True(sample.CpuTimes.HasValue);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage\n\0\n@@gc:\n")]
    [InlineData("@@gc:nvidia\n0, x\n@@gc:nvidia-exit 0\n@@gc:rapl\nintel-rapl:0 abc def\n")]
    public void Garbage_never_throws(string output)
    {
        var sample = ProbeOutputParser.Parse("x", T0, output, null);

        Assert.False(sample.MemoryTotalBytes.HasValue);
        Assert.False(sample.CpuUtilization.HasValue);
    }
}
