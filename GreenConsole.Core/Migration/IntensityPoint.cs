namespace GreenConsole.Core.Migration;

/// <summary>
/// Grid carbon intensity (gCO2eq/kWh) for the hour that starts at <paramref name="HourStart"/>.
/// Kept as a plain double so the policy does not depend on any particular carbon provider's types.
/// </summary>
public readonly record struct IntensityPoint(DateTimeOffset HourStart, double GPerKwh);
