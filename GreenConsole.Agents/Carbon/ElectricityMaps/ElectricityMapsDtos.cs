using System.Text.Json.Serialization;

namespace GreenConsole.Agents.Carbon.ElectricityMaps;

/// <summary>One point as the v3 API returns it (latest, and each entry of history and forecast).</summary>
internal sealed record EmCarbonIntensityPoint
{
    [JsonPropertyName("zone")] public string? Zone { get; init; }
    [JsonPropertyName("carbonIntensity")] public double? CarbonIntensity { get; init; }
    [JsonPropertyName("datetime")] public DateTimeOffset? Datetime { get; init; }
    [JsonPropertyName("updatedAt")] public DateTimeOffset? UpdatedAt { get; init; }
    [JsonPropertyName("emissionFactorType")] public string? EmissionFactorType { get; init; }
    [JsonPropertyName("isEstimated")] public bool? IsEstimated { get; init; }
    [JsonPropertyName("estimationMethod")] public string? EstimationMethod { get; init; }
}

internal sealed record EmHistoryResponse
{
    [JsonPropertyName("zone")] public string? Zone { get; init; }
    [JsonPropertyName("history")] public List<EmCarbonIntensityPoint>? History { get; init; }
}

internal sealed record EmForecastResponse
{
    [JsonPropertyName("zone")] public string? Zone { get; init; }
    [JsonPropertyName("forecast")] public List<EmCarbonIntensityPoint>? Forecast { get; init; }
    [JsonPropertyName("updatedAt")] public DateTimeOffset? UpdatedAt { get; init; }
}
