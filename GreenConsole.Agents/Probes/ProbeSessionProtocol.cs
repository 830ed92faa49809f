using System.Globalization;
using System.Text;

namespace GreenConsole.Agents.Probes;

/// <summary>How one line of a session's answer relates to the request being waited for.</summary>
internal enum SessionLineKind
{
    /// <summary>Part of the answer.</summary>
    Data,

    /// <summary>The end of an earlier request's answer: everything read so far belongs to it and is dropped.</summary>
    Stale,

    /// <summary>The end of the answer being waited for.</summary>
    Current,

    /// <summary>An end marker without a number, or with one that was never asked for: the session cannot be trusted.</summary>
    Invalid,
}

/// <summary>
/// The long-lived probe loop run once per cloud (POSIX sh) and its line protocol. The controller writes
/// <c>p SEQ</c> (sample) or <c>s SEQ</c> (static facts, then sample); the loop answers in the sections of
/// <see cref="ProbeCommand"/> and ends every answer with <c>@@gc:end SEQ</c>, so an answer can never be taken for
/// another request's. A sample forks nothing unless nvidia-smi is installed: /proc and RAPL are read with the
/// shell's own <c>read</c>, and the whole answer leaves in one write. The static facts (uname, CPU model, core and
/// socket counts) fork as the one-shot script does, but only on <c>s</c> requests.
/// </summary>
internal static class ProbeSessionProtocol
{
    public const string EndMarker = ProbeCommand.SectionPrefix + "end";

    /// <summary>Sections that come only with <c>s</c> requests; the controller keeps them for the samples in between.</summary>
    public static readonly IReadOnlySet<string> StaticSections = new HashSet<string>(StringComparer.Ordinal) { "uname", "nproc", "cpumodel", "sockets" };

    // Static facts: the same commands as the one-shot script, with stdin closed so none of them can eat a request.
    // Sample: n holds a newline; o collects the answer so it leaves in one write (one channel packet, not twenty).
    // Redirections sit on compound commands, whose failure POSIX shells report without exiting.
    public const string Script =
        """
        gc_s() {
          echo '@@gc:uname'; uname -s -r 2>&1
          echo '@@gc:nproc'; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>&1
          echo '@@gc:cpumodel'; grep -m 1 -E '^model name' /proc/cpuinfo 2>&1
          echo '@@gc:sockets'; grep -E '^physical id' /proc/cpuinfo 2>/dev/null | sort -u | wc -l
        }
        gc_p() {
          o="@@gc:stat$n"
          if [ -r /proc/stat ]; then
            l=; { IFS= read -r l; } 2>/dev/null </proc/stat; o="$o$l$n"
          else o="${o}cannot read /proc/stat$n"; fi
          o="$o@@gc:meminfo$n"
          if [ -r /proc/meminfo ]; then
            while IFS= read -r l; do
              case $l in
                MemTotal:*|MemFree:*|MemAvailable:*|Buffers:*) o="$o$l$n";;
                Cached:*) o="$o$l$n"; break;;
              esac
            done 2>/dev/null </proc/meminfo
          else o="${o}cannot read /proc/meminfo$n"; fi
          o="$o@@gc:nvidia$n"
          if command -v nvidia-smi >/dev/null 2>&1; then
            g=$(nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,power.draw,power.limit --format=csv,noheader,nounits 2>&1 </dev/null); r=$?
            o="$o$g$n@@gc:nvidia-exit $r$n"
          else o="$o@@gc:nvidia-absent$n"; fi
          o="$o@@gc:rapl$n"
          for d in /sys/class/powercap/intel-rapl:*; do
            [ -e "$d" ] || continue
            case ${d##*/} in intel-rapl:*:*) continue;; esac
            if [ -r "$d/energy_uj" ]; then
              e=; m=
              { IFS= read -r e; } 2>/dev/null <"$d/energy_uj"
              { IFS= read -r m; } 2>/dev/null <"$d/max_energy_range_uj"
              o="$o${d##*/} $e $m$n"
            else o="$o${d##*/} unreadable$n"; fi
          done
          printf '%s@@gc:end %s\n' "$o" "$1"
        }
        n='
        '
        while IFS= read -r q; do
          case $q in
            's '*) gc_s </dev/null; gc_p "${q#s }";;
            'p '*) gc_p "${q#p }";;
            *) echo '@@gc:end ?';;
          esac
        done
        """;

    /// <summary>The request line for <paramref name="sequence"/>; <paramref name="withStatic"/> asks for the static facts too.</summary>
    public static string Request(long sequence, bool withStatic) =>
        string.Create(CultureInfo.InvariantCulture, $"{(withStatic ? 's' : 'p')} {sequence}");

    /// <summary>Classifies one answer line while waiting for the answer to <paramref name="expected"/>.</summary>
    public static SessionLineKind Classify(string line, long expected)
    {
        if (!line.StartsWith(EndMarker, StringComparison.Ordinal))
        {
            return SessionLineKind.Data;
        }

        var rest = line.AsSpan(EndMarker.Length);
        if (rest.Length < 2 || rest[0] != ' '
            || !long.TryParse(rest[1..].TrimEnd('\r'), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return SessionLineKind.Invalid;
        }

        return sequence == expected ? SessionLineKind.Current
            : sequence < expected ? SessionLineKind.Stale
            : SessionLineKind.Invalid;
    }

    /// <summary>The lines of <paramref name="answer"/> that belong to <see cref="StaticSections"/>, as one text.</summary>
    public static string StaticPart(IEnumerable<string> answer)
    {
        var text = new StringBuilder();
        var keep = false;
        foreach (var line in answer)
        {
            if (line.StartsWith(ProbeCommand.SectionPrefix, StringComparison.Ordinal) && !line.StartsWith(ProbeCommand.SectionPrefix + "nvidia-", StringComparison.Ordinal))
            {
                keep = StaticSections.Contains(line[ProbeCommand.SectionPrefix.Length..].Trim());
            }

            if (keep)
            {
                text.Append(line).Append('\n');
            }
        }

        return text.ToString();
    }
}
