namespace GreenConsole.Core.Hardware;

/// <summary>One poll of a cloud's hardware. Every field may be missing with a reason.</summary>
public sealed record HardwareSample
{
    public required string CloudId { get; init; }
    public required DateTimeOffset At { get; init; }

    /// <summary>Whole-machine CPU busy fraction 0..1 since the previous sample of the same cloud.</summary>
    public required ProbeField<double> CpuUtilization { get; init; }

    /// <summary>Raw aggregate /proc/stat counters of this sample, kept for the next delta.</summary>
    public required ProbeField<CpuTimes> CpuTimes { get; init; }

    /// <summary>Logical CPUs visible to the OS (nproc).</summary>
    public required ProbeField<int> LogicalCpus { get; init; }

    /// <summary>Distinct physical packages (sockets) seen in /proc/cpuinfo.</summary>
    public required ProbeField<int> Sockets { get; init; }

    public required ProbeField<string> CpuModel { get; init; }
    public required ProbeField<long> MemoryTotalBytes { get; init; }
    public required ProbeField<long> MemoryUsedBytes { get; init; }

    /// <summary>The GPUs found, or the reason none could be listed (for example "nvidia-smi not installed").</summary>
    public required ProbeField<IReadOnlyList<GpuSample>> Gpus { get; init; }

    /// <summary>RAPL package counters, or the reason they are unreadable.</summary>
    public required ProbeField<IReadOnlyList<RaplReading>> Rapl { get; init; }

    public required ProbeField<string> OsName { get; init; }
    public required ProbeField<string> KernelRelease { get; init; }
}

/// <summary>Aggregate jiffies from the first line of /proc/stat.</summary>
public readonly record struct CpuTimes(ulong Busy, ulong Idle)
{
    public ulong Total => Busy + Idle;

    /// <summary>Busy fraction between two samples, or null when no time elapsed between them or the counters went backwards (reboot).</summary>
    public static double? Utilization(CpuTimes previous, CpuTimes current)
    {
        if (current.Total <= previous.Total || current.Busy < previous.Busy || current.Idle < previous.Idle)
        {
            return null;
        }

        var busy = (double)(current.Busy - previous.Busy);
        var total = (double)(current.Total - previous.Total);
        return Math.Clamp(busy / total, 0, 1);
    }
}

public sealed record GpuSample
{
    public required int Index { get; init; }
    public required ProbeField<string> Name { get; init; }

    /// <summary>0..1.</summary>
    public required ProbeField<double> Utilization { get; init; }
    public required ProbeField<long> MemoryUsedBytes { get; init; }
    public required ProbeField<long> MemoryTotalBytes { get; init; }
    public required ProbeField<double> PowerDrawWatts { get; init; }
    public required ProbeField<double> PowerLimitWatts { get; init; }
}

/// <summary>One RAPL powercap domain counter (a CPU package), in microjoules.</summary>
public sealed record RaplReading(string Domain, ulong EnergyMicrojoules, ulong MaxEnergyRangeMicrojoules);
