namespace GreenConsole.Core.Carbon;

/// <summary>How much to trust a figure; every number the app shows carries one.</summary>
public enum DataQuality
{
    /// <summary>Observed by the source for the time it applies to.</summary>
    Measured = 0,

    /// <summary>Modelled rather than observed (source-side estimation, or a power model such as TDP × utilisation).</summary>
    Estimated = 1,

    /// <summary>A coarse substitute (for example a yearly average) used because nothing finer exists.</summary>
    Fallback = 2,

    /// <summary>A previously good value served again because the live source is failing; see its age.</summary>
    Stale = 3,
}
