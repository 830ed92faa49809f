using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;

namespace GreenConsole.Tests.Core.Accounting;

public class PowerModelTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private const long Gb = 1024L * 1024 * 1024;

    private static HardwareSample Sample(
        DateTimeOffset at,
        double? util = 0.5,
        string? model = "AMD EPYC 7763 64-Core Processor",
        int? cpus = 128,
        int sockets = 1,
        long memGb = 64,
        IReadOnlyList<GpuSample>? gpus = null,
        IReadOnlyList<RaplReading>? rapl = null) => new()
        {
            CloudId = "c",
            At = at,
            CpuUtilization = util is { } u ? ProbeField<double>.Of(u) : ProbeField<double>.Missing("first sample"),
            CpuTimes = ProbeField<CpuTimes>.Missing("n/a"),
            LogicalCpus = cpus is { } c ? ProbeField<int>.Of(c) : ProbeField<int>.Missing("nproc missing"),
            Sockets = ProbeField<int>.Of(sockets),
            CpuModel = model is null ? ProbeField<string>.Missing("no model name") : ProbeField<string>.Of(model),
            MemoryTotalBytes = ProbeField<long>.Of(memGb * Gb),
            MemoryUsedBytes = ProbeField<long>.Of(memGb * Gb / 2),
            Gpus = gpus is null ? ProbeField<IReadOnlyList<GpuSample>>.Missing("nvidia-smi not installed") : ProbeField<IReadOnlyList<GpuSample>>.Of(gpus),
            Rapl = rapl is null ? ProbeField<IReadOnlyList<RaplReading>>.Missing("no RAPL") : ProbeField<IReadOnlyList<RaplReading>>.Of(rapl),
            OsName = ProbeField<string>.Of("Linux"),
            KernelRelease = ProbeField<string>.Of("6.1"),
        };

    private static GpuSample Gpu(int index, double? draw, double? limit = 700, double util = 0.5) => new()
    {
        Index = index,
        Name = ProbeField<string>.Of("NVIDIA H100 80GB HBM3"),
        Utilization = ProbeField<double>.Of(util),
        MemoryUsedBytes = ProbeField<long>.Of(1),
        MemoryTotalBytes = ProbeField<long>.Of(2),
        PowerDrawWatts = draw is { } d ? ProbeField<double>.Of(d) : ProbeField<double>.Missing("power.draw reported '[N/A]'"),
        PowerLimitWatts = limit is { } l ? ProbeField<double>.Of(l) : ProbeField<double>.Missing("power.limit reported '[N/A]'"),
    };

    [Theory]
    [InlineData(1000UL, 61_001_000UL, 262_143_328_850UL, 61_000_000UL)]           // plain delta
    [InlineData(262_143_000_000UL, 1_000_000UL, 262_143_328_850UL, 1_328_850UL)]    // wrapped once: (max − prev) + cur
    [InlineData(5UL, 5UL, 100UL, 0UL)]
    public void Rapl_delta_handles_wrap_around(ulong previous, ulong current, ulong max, ulong expected)
    {
        Assert.Equal(expected, RaplMath.DeltaMicrojoules(previous, current, max));
    }

    [Fact]
    public void Rapl_delta_with_unknown_range_is_unresolvable()
    {
        Assert.Null(RaplMath.DeltaMicrojoules(100, 5, 0));
    }

    [Fact]
    public void Cpu_uses_rapl_when_both_samples_have_it_including_a_wrap()
    {
        const ulong max = 262_143_328_850;
        var before = Sample(T0, rapl: [new RaplReading("intel-rapl:0", max - 1_000_000, max), new RaplReading("intel-rapl:1", 10, max)]);
        // 10 s later: package 0 wrapped (+3 J), package 1 used 2 J → 5 J / 10 s = 0.5 W.
        var after = Sample(T0.AddSeconds(10), rapl: [new RaplReading("intel-rapl:0", 2_000_000, max), new RaplReading("intel-rapl:1", 2_000_010, max)]);

        var power = PowerModel.Estimate(after, before);

        Assert.Equal(0.5, power.CpuW, 9);
        Assert.Equal(DataQuality.Measured, power.Cpu!.Quality);
        Assert.StartsWith("rapl", power.Cpu.Method);
    }

    [Fact]
    public void Cpu_from_tdp_table_charges_a_vm_its_share_of_the_package()
    {
        // EPYC 7763: 280 W / 128 threads; a VM with 16 threads at 50 % load.
        var power = PowerModel.Estimate(Sample(T0, util: 0.5, cpus: 16), null);
        var floor = 0.74 / 3.5;

        Assert.Equal(280.0 / 128 * 16 * (floor + (1 - floor) * 0.5), power.CpuW, 9);
        Assert.Equal(DataQuality.Estimated, power.Cpu!.Quality);
        Assert.Contains("EPYC 7763", power.Cpu.Method);
    }

    [Theory]
    [InlineData("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "Xeon Platinum 8380", 270)]
    [InlineData("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "Xeon Gold 6248R", 205)]
    [InlineData("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", "Xeon Gold 6248", 150)]
    [InlineData("AMD EPYC 9654 96-Core Processor", "EPYC 9654", 360)]
    [InlineData("13th Gen Intel(R) Core(TM) i7-13700K", "Core i7-13700K", 125)]
    public void Tdp_table_matches_model_strings(string model, string family, double tdp)
    {
        var spec = CpuTdpTable.Find(model);

        Assert.NotNull(spec);
        Assert.Equal(family, spec.Family);
        Assert.Equal(tdp, spec.TdpWatts);
    }

    [Fact]
    public void Unknown_cpu_uses_the_default_per_thread_figure()
    {
        var power = PowerModel.Estimate(Sample(T0, util: 1.0, model: "Intel(R) Xeon(R) Processor @ 2.50GHz", cpus: 2), null);

        Assert.Equal(7.0, power.CpuW, 9); // 3.5 W × 2 threads at full load
        Assert.Contains("not in TDP table", power.Cpu!.Method);
    }

    [Fact]
    public void First_sample_without_utilisation_leaves_cpu_missing_with_reason()
    {
        var power = PowerModel.Estimate(Sample(T0, util: null), null);

        Assert.Null(power.Cpu);
        Assert.Contains(power.Missing, m => m.Contains("first sample"));
    }

    [Fact]
    public void Ram_is_0_375_watts_per_gb()
    {
        var power = PowerModel.Estimate(Sample(T0, memGb: 64), null);

        Assert.Equal(24.0, power.RamW, 9);
        Assert.Equal(DataQuality.Estimated, power.Ram!.Quality);
    }

    [Fact]
    public void Gpu_power_is_the_measured_draw_summed_over_gpus()
    {
        var power = PowerModel.Estimate(Sample(T0, gpus: [Gpu(0, 312.5), Gpu(1, 250.25)]), null);

        Assert.Equal(562.75, power.GpuW, 9);
        Assert.Equal(DataQuality.Measured, power.Gpu!.Quality);
    }

    [Fact]
    public void Gpu_without_draw_is_estimated_from_limit_or_listed_missing()
    {
        var estimated = PowerModel.Estimate(Sample(T0, gpus: [Gpu(0, 300), Gpu(1, null, limit: 400, util: 0.25)]), null);
        var missing = PowerModel.Estimate(Sample(T0, gpus: [Gpu(0, null, limit: null)]), null);

        Assert.Equal(400, estimated.GpuW, 9);
        Assert.Equal(DataQuality.Estimated, estimated.Gpu!.Quality);
        Assert.Null(missing.Gpu);
        Assert.Contains(missing.Missing, m => m.Contains("gpu 0") && m.Contains("[N/A]"));
    }

    [Fact]
    public void Total_is_the_sum_of_components()
    {
        var power = PowerModel.Estimate(Sample(T0, util: 1.0, cpus: 128, memGb: 8, gpus: [Gpu(0, 100)]), null);

        Assert.Equal(280 + 100 + 3, power.TotalW, 9);
    }
}
