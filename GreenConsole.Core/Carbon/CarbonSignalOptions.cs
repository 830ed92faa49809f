namespace GreenConsole.Core.Carbon;

/// <summary>
/// Section "Carbon", key "Signal": the emission factors the app decides and accounts with. It is a domain choice, not a
/// provider's setting, so the app reads it here instead of from the carbon adapters' options.
/// </summary>
public sealed class CarbonSignalOptions
{
    public const string SectionName = "Carbon";

    /// <summary>LifeCycle by default, as Electricity Maps shows it.</summary>
    public CarbonSignal Signal { get; set; } = CarbonSignal.LifeCycle;
}
