using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Carbon.ElectricityMaps;

/// <summary>Section "Carbon:ElectricityMaps": the live v3 API. Without a token the provider is disabled.</summary>
public sealed class ElectricityMapsOptions
{
    public const string SectionName = "Carbon:ElectricityMaps";

    /// <summary>Environment variable read when the configuration has no token.</summary>
    public const string TokenEnvironmentVariable = "ELECTRICITYMAPS_TOKEN";

    [Required]
    [Url]
    public string BaseUrl { get; set; } = "https://api.electricitymaps.com";

    /// <summary>The API token, sent as the auth-token header. Never logged.</summary>
    public string? Token { get; set; }

    [Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Ask the API to leave out estimated hours (documented query parameter disableEstimations).</summary>
    public bool DisableEstimations { get; set; }

    /// <summary>
    /// How long one forecast answer is reused. The controller asks for every zone's forecast on each tick (5 s); the
    /// service refreshes forecasts about hourly, so asking more often only spends the token's quota.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 3600)]
    public int ForecastCacheSeconds { get; set; } = 600;

    public bool Enabled => !string.IsNullOrWhiteSpace(Token);

    /// <summary>Keeps the token out of any accidental formatting.</summary>
    public override string ToString() => $"ElectricityMaps {{ BaseUrl = {BaseUrl}, Token = {(Enabled ? "***" : "(none)")} }}";
}
