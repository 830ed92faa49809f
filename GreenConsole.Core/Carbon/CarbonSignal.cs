namespace GreenConsole.Core.Carbon;

/// <summary>Which emission factors a carbon-intensity figure uses.</summary>
public enum CarbonSignal
{
    /// <summary>Life-cycle (LCA) factors, including construction and fuel supply; what Electricity Maps shows by default.</summary>
    LifeCycle = 0,

    /// <summary>Direct (combustion) emissions only.</summary>
    Direct = 1,
}
