using System.Globalization;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;

namespace GreenConsole.Core.Accounting;

/// <summary>Turns hardware samples into power by component. Pure.</summary>
public static class PowerModel
{
    private const double BytesPerGb = 1024d * 1024 * 1024;

    /// <summary>Power at <paramref name="current"/>; <paramref name="previous"/> (same cloud) enables RAPL deltas.</summary>
    public static PowerEstimate Estimate(HardwareSample current, HardwareSample? previous, PowerModelOptions? options = null)
    {
        options ??= new PowerModelOptions();
        var missing = new List<string>();
        var cpu = EstimateCpu(current, previous, options, missing);
        var gpu = EstimateGpu(current, missing);
        var ram = EstimateRam(current, options, missing);
        return new PowerEstimate(current.At, cpu, gpu, ram, missing);
    }

    private static PowerComponent? EstimateCpu(HardwareSample current, HardwareSample? previous, PowerModelOptions options, List<string> missing)
    {
        var rapl = RaplWatts(current, previous);
        if (rapl is not null)
        {
            return new PowerComponent(rapl.Value, DataQuality.Measured, "rapl: package energy counter delta / elapsed seconds");
        }

        if (!current.CpuUtilization.HasValue)
        {
            missing.Add($"cpu: utilisation unavailable ({current.CpuUtilization.MissingReason})");
            return null;
        }

        var util = Math.Clamp(current.CpuUtilization.Value, 0, 1);
        var load = options.IdleFraction + (1 - options.IdleFraction) * util;
        var spec = CpuTdpTable.Find(current.CpuModel.ValueOrDefault);
        if (spec is not null)
        {
            // A VM sees only some threads of the package: charge its share of the TDP, never more than the sockets it reports.
            var threads = current.LogicalCpus.HasValue ? current.LogicalCpus.Value : spec.ThreadsPerSocket;
            var sockets = current.Sockets.HasValue ? Math.Max(1, current.Sockets.Value) : 1;
            threads = Math.Min(threads, spec.ThreadsPerSocket * sockets);
            var full = spec.WattsPerThread * threads;
            var method = string.Format(CultureInfo.InvariantCulture,
                "tdp-table: {0} {1} W / {2} threads × {3} threads × (idle {4:P0} + utilisation {5:P0})",
                spec.Family, spec.TdpWatts, spec.ThreadsPerSocket, threads, options.IdleFraction, util);
            return new PowerComponent(full * load, DataQuality.Estimated, method);
        }

        if (!current.LogicalCpus.HasValue)
        {
            missing.Add($"cpu: model not in TDP table and core count unavailable ({current.LogicalCpus.MissingReason})");
            return null;
        }

        var cores = current.LogicalCpus.Value;
        var defaultMethod = string.Format(CultureInfo.InvariantCulture,
            "default: {0} W per thread × {1} threads × (idle {2:P0} + utilisation {3:P0}); CPU model not in TDP table",
            options.DefaultMaxWattsPerThread, cores, options.IdleFraction, util);
        return new PowerComponent(options.DefaultMaxWattsPerThread * cores * load, DataQuality.Estimated, defaultMethod);
    }

    private static double? RaplWatts(HardwareSample current, HardwareSample? previous)
    {
        if (previous is null || !current.Rapl.HasValue || !previous.Rapl.HasValue || current.Rapl.Value.Count == 0)
        {
            return null;
        }

        var seconds = (current.At - previous.At).TotalSeconds;
        if (seconds <= 0)
        {
            return null;
        }

        var before = previous.Rapl.Value.ToDictionary(r => r.Domain, StringComparer.Ordinal);
        double microjoules = 0;
        foreach (var reading in current.Rapl.Value)
        {
            if (!before.TryGetValue(reading.Domain, out var old))
            {
                return null;
            }

            var delta = RaplMath.DeltaMicrojoules(old.EnergyMicrojoules, reading.EnergyMicrojoules, reading.MaxEnergyRangeMicrojoules);
            if (delta is null)
            {
                return null;
            }

            microjoules += delta.Value;
        }

        return microjoules / 1e6 / seconds;
    }

    private static PowerComponent? EstimateGpu(HardwareSample current, List<string> missing)
    {
        if (!current.Gpus.HasValue)
        {
            // No nvidia-smi usually means no NVIDIA GPU; say so rather than pretend it was measured.
            return new PowerComponent(0, DataQuality.Estimated, $"no GPU data ({current.Gpus.MissingReason}); assumed 0 W");
        }

        var gpus = current.Gpus.Value;
        if (gpus.Count == 0)
        {
            return new PowerComponent(0, DataQuality.Measured, "nvidia-smi: no GPUs");
        }

        double watts = 0;
        var measured = 0;
        var estimated = 0;
        foreach (var gpu in gpus)
        {
            if (gpu.PowerDrawWatts.HasValue)
            {
                watts += gpu.PowerDrawWatts.Value;
                measured++;
            }
            else if (gpu.PowerLimitWatts.HasValue && gpu.Utilization.HasValue)
            {
                // Same linear model as the CPU, against the board power limit.
                watts += gpu.PowerLimitWatts.Value * Math.Clamp(gpu.Utilization.Value, 0, 1);
                estimated++;
            }
            else
            {
                missing.Add($"gpu {gpu.Index}: power.draw unavailable ({gpu.PowerDrawWatts.MissingReason}) and no limit × utilisation to estimate it");
            }
        }

        if (measured == 0 && estimated == 0)
        {
            return null;
        }

        var quality = estimated == 0 ? DataQuality.Measured : DataQuality.Estimated;
        var method = estimated == 0
            ? $"nvidia-smi power.draw, {measured} GPU(s)"
            : $"nvidia-smi power.draw for {measured} GPU(s), power.limit × utilisation for {estimated}";
        return new PowerComponent(watts, quality, method);
    }

    private static PowerComponent? EstimateRam(HardwareSample current, PowerModelOptions options, List<string> missing)
    {
        if (!current.MemoryTotalBytes.HasValue)
        {
            missing.Add($"ram: total memory unavailable ({current.MemoryTotalBytes.MissingReason})");
            return null;
        }

        var gb = current.MemoryTotalBytes.Value / BytesPerGb;
        var method = string.Format(CultureInfo.InvariantCulture, "{0} W/GB × {1:F1} GB installed (CodeCarbon: 3 W per 8 GB)", options.RamWattsPerGb, gb);
        return new PowerComponent(gb * options.RamWattsPerGb, DataQuality.Estimated, method);
    }
}
