using System.ComponentModel.DataAnnotations;
using GreenConsole.Core.Carbon;

namespace GreenConsole.Agents.Carbon;

/// <summary>Section "Carbon": how the resilient chain behaves (the signal itself is <see cref="CarbonSignalOptions"/>).</summary>
public sealed class CarbonOptions
{
    public const string SectionName = "Carbon";

    /// <summary>Each provider call is cut off after this long so a slow source never blocks a poll.</summary>
    [Range(0.05, 120)]
    public double ProviderTimeoutSeconds { get; set; } = 5;

    /// <summary>How long a last good value may be re-served (marked Stale) while its better source fails.</summary>
    [Range(0, 24 * 60)]
    public double MaxStaleMinutes { get; set; } = 90;

    /// <summary>After an error a provider is skipped for this long, so a dead API costs one timeout, not one per call.</summary>
    [Range(0, 3600)]
    public double ErrorCooldownSeconds { get; set; } = 30;
}
