using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Carbon.Yearly;

/// <summary>Section "Carbon:Yearly": the yearly-average fallback table.</summary>
public sealed class CarbonYearlyOptions
{
    public const string SectionName = "Carbon:Yearly";

    /// <summary>Relative paths are resolved against the app's base directory.</summary>
    [Required]
    public string FilePath { get; set; } = "data/carbon/electricitymaps_yearly_2024_by_zone.csv";
}
