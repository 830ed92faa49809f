using GreenConsole.Core.Carbon;

namespace GreenConsole.Agents.Carbon.ElectricityMaps;

/// <summary>Wire shapes → Core readings.</summary>
internal static class ElectricityMapsMapper
{
    public const string SourceName = "api:electricitymaps";

    public static string FactorType(CarbonSignal signal) => signal == CarbonSignal.Direct ? "direct" : "lifecycle";

    /// <summary>Null when the point has no value or time (the API leaves gaps as null).</summary>
    public static CarbonIntensityReading? ToReading(EmCarbonIntensityPoint point, string requestedZone, CarbonSignal requested, bool forecast = false)
    {
        if (point.CarbonIntensity is not { } value || point.Datetime is not { } at || value < 0)
        {
            return null;
        }

        var signal = point.EmissionFactorType?.ToLowerInvariant() switch
        {
            "direct" => CarbonSignal.Direct,
            "lifecycle" => CarbonSignal.LifeCycle,
            _ => requested,
        };
        var estimated = point.IsEstimated ?? false;
        var quality = estimated || forecast ? DataQuality.Estimated : DataQuality.Measured;
        return new CarbonIntensityReading(point.Zone ?? requestedZone, at.ToUniversalTime(), value, signal, quality, SourceName, SourceEstimated: estimated)
        {
            Note = forecast ? "forecast" : point.EstimationMethod is { } method ? $"estimated ({method})" : null,
        };
    }
}
