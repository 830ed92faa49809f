using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Probes;

/// <summary>Section "Probes": the hardware probe.</summary>
public sealed class ProbeOptions
{
    public const string SectionName = "Probes";

    /// <summary>Upper bound for one probe (one-shot command, or one request and answer of a session).</summary>
    [Range(1, 300)]
    public int CommandTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// Keep one probe loop running per cloud over its master connection instead of starting an ssh client and about
    /// ten remote processes per poll. Off: every poll runs the one-shot script.
    /// </summary>
    public bool PersistentSessions { get; set; } = true;

    /// <summary>A session re-reads the static facts (OS, CPU model, core and socket counts) every this many polls.</summary>
    [Range(1, 100_000)]
    public int StaticRefreshPolls { get; set; } = 60;

    /// <summary>A session unused this long is closed (a cloud removed without <c>Forget</c> must not keep one forever).</summary>
    [Range(10, 7 * 86400)]
    public int SessionIdleSeconds { get; set; } = 600;

    /// <summary>After a session could not start on a cloud, that many polls use the one-shot script before trying again.</summary>
    [Range(1, 100_000)]
    public int SessionRetryAfterPolls { get; set; } = 60;
}
