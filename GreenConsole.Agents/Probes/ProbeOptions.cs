using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Probes;

/// <summary>Section "Probes": the hardware probe.</summary>
public sealed class ProbeOptions
{
    public const string SectionName = "Probes";

    /// <summary>Upper bound for the one batched probe command.</summary>
    [Range(1, 300)]
    public int CommandTimeoutSeconds { get; set; } = 15;
}
