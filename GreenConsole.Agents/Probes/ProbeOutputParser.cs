using System.Globalization;
using GreenConsole.Core.Hardware;

namespace GreenConsole.Agents.Probes;

/// <summary>Turns the sectioned output of <see cref="ProbeCommand"/> into a <see cref="HardwareSample"/>. Pure; never throws on odd input.</summary>
internal static class ProbeOutputParser
{
    private const long KiB = 1024;
    private const long MiB = 1024 * 1024;

    public static HardwareSample Parse(string cloudId, DateTimeOffset at, string output, CpuTimes? previous)
    {
        var sections = Split(output);
        var (os, kernel) = ParseUname(sections);
        var notLinux = os.HasValue && !string.Equals(os.Value, "Linux", StringComparison.Ordinal) ? $"not Linux ({os.Value})" : null;
        var times = ParseStat(sections, notLinux);
        var (memTotal, memUsed) = ParseMeminfo(sections, notLinux);
        return new HardwareSample
        {
            CloudId = cloudId,
            At = at,
            CpuTimes = times,
            CpuUtilization = Utilization(times, previous),
            LogicalCpus = ParsePositiveInt(sections, "nproc", "core count"),
            Sockets = ParseSockets(sections, notLinux),
            CpuModel = ParseCpuModel(sections, notLinux),
            MemoryTotalBytes = memTotal,
            MemoryUsedBytes = memUsed,
            Gpus = ParseGpuSection(sections),
            Rapl = ParseRapl(sections, notLinux),
            OsName = os,
            KernelRelease = kernel,
        };
    }

    internal static Dictionary<string, List<string>> Split(string output)
    {
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(ProbeCommand.SectionPrefix, StringComparison.Ordinal))
            {
                var name = line[ProbeCommand.SectionPrefix.Length..].Trim();
                // Markers inside a section (nvidia-exit N, nvidia-absent) are kept as lines of that section.
                if (name.StartsWith("nvidia-", StringComparison.Ordinal) && current is not null)
                {
                    current.Add(line);
                    continue;
                }

                current = [];
                sections[name] = current;
                continue;
            }

            current?.Add(line);
        }

        return sections;
    }

    private static ProbeField<T> Absent<T>(string section) => ProbeField<T>.Missing($"section '{section}' missing from probe output (command cut short?)");

    private static (ProbeField<string> Os, ProbeField<string> Kernel) ParseUname(Dictionary<string, List<string>> sections)
    {
        if (!sections.TryGetValue("uname", out var lines))
        {
            return (Absent<string>("uname"), Absent<string>("uname"));
        }

        var parts = lines.FirstOrDefault(l => l.Trim().Length > 0)?.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return parts.Length switch
        {
            2 => (ProbeField<string>.Of(parts[0]), ProbeField<string>.Of(parts[1])),
            1 => (ProbeField<string>.Of(parts[0]), ProbeField<string>.Missing("uname printed no kernel release")),
            _ => (ProbeField<string>.Missing("uname printed nothing"), ProbeField<string>.Missing("uname printed nothing")),
        };
    }

    private static ProbeField<CpuTimes> ParseStat(Dictionary<string, List<string>> sections, string? notLinux)
    {
        if (!sections.TryGetValue("stat", out var lines))
        {
            return Absent<CpuTimes>("stat");
        }

        var line = lines.FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null)
        {
            return ProbeField<CpuTimes>.Missing(notLinux is not null ? $"/proc/stat unavailable: {notLinux}" : $"/proc/stat unreadable: {FirstLine(lines)}");
        }

        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(t => ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (ulong?)null)
            .ToList();
        if (f.Count < 4 || f.Any(v => v is null))
        {
            return ProbeField<CpuTimes>.Missing($"/proc/stat cpu line not understood: '{line}'");
        }

        // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already inside user/nice.
        ulong At(int i) => i < f.Count ? f[i]!.Value : 0;
        var busy = At(0) + At(1) + At(2) + At(5) + At(6) + At(7);
        var idle = At(3) + At(4);
        return ProbeField<CpuTimes>.Of(new CpuTimes(busy, idle));
    }

    internal const string NoTimeElapsed =
        "no CPU time elapsed since the previous /proc/stat reading (polled within one clock tick); the next sample measures from that earlier reading";

    private static ProbeField<double> Utilization(ProbeField<CpuTimes> times, CpuTimes? previous)
    {
        if (!times.HasValue)
        {
            return ProbeField<double>.Missing(times.MissingReason!);
        }

        if (previous is null)
        {
            return ProbeField<double>.Missing("first sample: utilisation needs two /proc/stat readings");
        }

        if (times.Value.Total == previous.Value.Total)
        {
            return ProbeField<double>.Missing(NoTimeElapsed);
        }

        return CpuTimes.Utilization(previous.Value, times.Value) is { } u
            ? ProbeField<double>.Of(u)
            : ProbeField<double>.Missing("/proc/stat counters went backwards (reboot?)");
    }

    private static (ProbeField<long> Total, ProbeField<long> Used) ParseMeminfo(Dictionary<string, List<string>> sections, string? notLinux)
    {
        if (!sections.TryGetValue("meminfo", out var lines))
        {
            return (Absent<long>("meminfo"), Absent<long>("meminfo"));
        }

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var rest = line[(colon + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length >= 1 && long.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                values[line[..colon]] = kb * KiB;
            }
        }

        if (!values.TryGetValue("MemTotal", out var total))
        {
            var why = notLinux is not null ? $"/proc/meminfo unavailable: {notLinux}" : $"/proc/meminfo unreadable: {FirstLine(lines)}";
            return (ProbeField<long>.Missing(why), ProbeField<long>.Missing(why));
        }

        long? available = values.TryGetValue("MemAvailable", out var a) ? a
            : values.TryGetValue("MemFree", out var free) ? free + values.GetValueOrDefault("Buffers") + values.GetValueOrDefault("Cached")
            : null;
        return (ProbeField<long>.Of(total), available is { } av
            ? ProbeField<long>.Of(Math.Max(0, total - av))
            : ProbeField<long>.Missing("/proc/meminfo has neither MemAvailable nor MemFree"));
    }

    private static ProbeField<int> ParsePositiveInt(Dictionary<string, List<string>> sections, string section, string what)
    {
        if (!sections.TryGetValue(section, out var lines))
        {
            return Absent<int>(section);
        }

        var text = FirstLine(lines);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? ProbeField<int>.Of(n)
            : ProbeField<int>.Missing($"{what} not understood: '{text}'");
    }

    private static ProbeField<int> ParseSockets(Dictionary<string, List<string>> sections, string? notLinux)
    {
        if (notLinux is not null && sections.ContainsKey("sockets"))
        {
            return ProbeField<int>.Missing($"/proc/cpuinfo unavailable: {notLinux}");
        }

        var sockets = ParsePositiveInt(sections, "sockets", "socket count");
        // Some VMs and ARM kernels print no "physical id": wc then says 0, which means "unknown", not "no CPU".
        return sockets.HasValue || !sections.ContainsKey("sockets") ? sockets : ProbeField<int>.Missing("/proc/cpuinfo lists no physical id");
    }

    private static ProbeField<string> ParseCpuModel(Dictionary<string, List<string>> sections, string? notLinux)
    {
        if (!sections.TryGetValue("cpumodel", out var lines))
        {
            return Absent<string>("cpumodel");
        }

        var line = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        var colon = line?.IndexOf(':') ?? -1;
        if (line is null || colon < 0 || line[(colon + 1)..].Trim().Length == 0)
        {
            return ProbeField<string>.Missing(notLinux is not null ? $"/proc/cpuinfo unavailable: {notLinux}" : "/proc/cpuinfo has no 'model name' line (ARM or restricted VM?)");
        }

        return ProbeField<string>.Of(line[(colon + 1)..].Trim());
    }

    private static ProbeField<IReadOnlyList<GpuSample>> ParseGpuSection(Dictionary<string, List<string>> sections)
    {
        if (!sections.TryGetValue("nvidia", out var lines))
        {
            return Absent<IReadOnlyList<GpuSample>>("nvidia");
        }

        if (lines.Any(l => l.StartsWith("@@gc:nvidia-absent", StringComparison.Ordinal)))
        {
            return ProbeField<IReadOnlyList<GpuSample>>.Missing("nvidia-smi not installed (no NVIDIA GPU or driver)");
        }

        var exitLine = lines.FirstOrDefault(l => l.StartsWith("@@gc:nvidia-exit", StringComparison.Ordinal));
        var body = lines.Where(l => !l.StartsWith(ProbeCommand.SectionPrefix, StringComparison.Ordinal) && l.Trim().Length > 0).ToList();
        if (exitLine is not null && !exitLine.EndsWith(" 0", StringComparison.Ordinal))
        {
            return ProbeField<IReadOnlyList<GpuSample>>.Missing($"nvidia-smi failed ({exitLine[ProbeCommand.SectionPrefix.Length..]}): {FirstLine(body)}");
        }

        return ParseNvidiaSmi(string.Join('\n', body));
    }

    /// <summary>
    /// Parses <c>nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,power.draw,power.limit
    /// --format=csv,noheader,nounits</c>: one line per GPU; memory in MiB, utilisation in %, power in W; a field the
    /// board cannot report reads "[N/A]" or "[Not Supported]".
    /// </summary>
    internal static ProbeField<IReadOnlyList<GpuSample>> ParseNvidiaSmi(string text)
    {
        var gpus = new List<GpuSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var f = line.Split(',').Select(s => s.Trim()).ToList();
            if (f.Count < 7)
            {
                return ProbeField<IReadOnlyList<GpuSample>>.Missing($"nvidia-smi output not understood: '{line}'");
            }

            // A name with commas would split into extra fields: the last five are always the numbers.
            var name = string.Join(", ", f.Skip(1).Take(f.Count - 6));
            var numbers = f.Skip(f.Count - 5).ToList();
            if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                return ProbeField<IReadOnlyList<GpuSample>>.Missing($"nvidia-smi output not understood: '{line}'");
            }

            gpus.Add(new GpuSample
            {
                Index = index,
                Name = name.Length > 0 && !name.StartsWith('[') ? ProbeField<string>.Of(name) : ProbeField<string>.Missing($"name: {name}"),
                Utilization = Number(numbers[0], "utilization.gpu").Map(v => v / 100),
                MemoryUsedBytes = Number(numbers[1], "memory.used").Map(v => (long)(v * MiB)),
                MemoryTotalBytes = Number(numbers[2], "memory.total").Map(v => (long)(v * MiB)),
                PowerDrawWatts = Number(numbers[3], "power.draw"),
                PowerLimitWatts = Number(numbers[4], "power.limit"),
            });
        }

        return ProbeField<IReadOnlyList<GpuSample>>.Of(gpus);
    }

    private static ProbeField<double> Number(string text, string field) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? ProbeField<double>.Of(v)
            : ProbeField<double>.Missing($"{field} reported '{text}'");

    private static ProbeField<IReadOnlyList<RaplReading>> ParseRapl(Dictionary<string, List<string>> sections, string? notLinux)
    {
        if (!sections.TryGetValue("rapl", out var lines))
        {
            return Absent<IReadOnlyList<RaplReading>>("rapl");
        }

        var body = lines.Where(l => l.Trim().Length > 0).ToList();
        if (body.Count == 0)
        {
            return ProbeField<IReadOnlyList<RaplReading>>.Missing(notLinux is not null
                ? $"RAPL unavailable: {notLinux}"
                : "no RAPL powercap domains (/sys/class/powercap/intel-rapl:* absent: VM, or CPU without RAPL)");
        }

        var readings = new List<RaplReading>();
        foreach (var line in body)
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 2 && f[1] == "unreadable")
            {
                return ProbeField<IReadOnlyList<RaplReading>>.Missing($"{f[0]}/energy_uj not readable by this user (root-only on kernels with the CVE-2020-8694 fix)");
            }

            if (f.Length != 3
                || !ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var energy)
                || !ulong.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var range))
            {
                return ProbeField<IReadOnlyList<RaplReading>>.Missing($"RAPL line not understood: '{line}'");
            }

            readings.Add(new RaplReading(f[0], energy, range));
        }

        return ProbeField<IReadOnlyList<RaplReading>>.Of(readings);
    }

    private static string FirstLine(IEnumerable<string> lines) => lines.FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "(no output)";
}
