namespace GreenConsole.Agents.Probes;

/// <summary>
/// The one batched shell command sent per poll when the cloud has no probe session (sessions off, or one could not
/// start there; see <see cref="ProbeSessionProtocol"/>, whose answers use the same sections). POSIX sh only (the remote login shell may be bash, dash or zsh);
/// every section is printed even when its source is missing, so the parser can say why a field is absent.
/// Package-level RAPL domains only (intel-rapl:N): their sub-domains (core, uncore, dram) are already inside them.
/// </summary>
internal static class ProbeCommand
{
    public const string SectionPrefix = "@@gc:";

    public const string Script =
        "echo '@@gc:uname'; uname -s -r 2>&1; " +
        "echo '@@gc:stat'; head -n 1 /proc/stat 2>&1; " +
        "echo '@@gc:meminfo'; grep -E '^(MemTotal|MemFree|MemAvailable|Buffers|Cached):' /proc/meminfo 2>&1; " +
        "echo '@@gc:nproc'; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>&1; " +
        "echo '@@gc:cpumodel'; grep -m 1 -E '^model name' /proc/cpuinfo 2>&1; " +
        "echo '@@gc:sockets'; grep -E '^physical id' /proc/cpuinfo 2>/dev/null | sort -u | wc -l; " +
        "echo '@@gc:nvidia'; " +
        "if command -v nvidia-smi >/dev/null 2>&1; then " +
        "nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,power.draw,power.limit --format=csv,noheader,nounits 2>&1; " +
        "echo \"@@gc:nvidia-exit $?\"; " +
        "else echo '@@gc:nvidia-absent'; fi; " +
        "echo '@@gc:rapl'; " +
        "for d in /sys/class/powercap/intel-rapl:*; do " +
        "[ -e \"$d\" ] || continue; " +
        "case \"${d##*/}\" in intel-rapl:*:*) continue;; esac; " +
        "if [ -r \"$d/energy_uj\" ]; then echo \"${d##*/} $(cat \"$d/energy_uj\" 2>/dev/null) $(cat \"$d/max_energy_range_uj\" 2>/dev/null)\"; " +
        "else echo \"${d##*/} unreadable\"; fi; " +
        "done; " +
        "echo '@@gc:end'";
}
