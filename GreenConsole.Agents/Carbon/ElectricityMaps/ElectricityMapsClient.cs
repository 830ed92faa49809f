using System.Net;
using System.Net.Http.Json;
using GreenConsole.Core.Carbon;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Carbon.ElectricityMaps;

/// <summary>
/// Client for the Electricity Maps v3 carbon-intensity endpoints. A singleton that takes a fresh HttpClient from
/// IHttpClientFactory per request, so handler rotation (DNS changes) keeps working.
/// </summary>
internal sealed class ElectricityMapsClient
{
    public const string HttpClientName = "electricitymaps";

    private readonly IHttpClientFactory _httpFactory;
    private readonly ElectricityMapsOptions _options;
    private readonly ILogger<ElectricityMapsClient> _logger;

    public ElectricityMapsClient(IHttpClientFactory httpFactory, IOptions<ElectricityMapsOptions> options, ILogger<ElectricityMapsClient> logger)
    {
        _httpFactory = httpFactory;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>GET /v3/carbon-intensity/latest. Null when the API does not know the zone (404).</summary>
    public async Task<EmCarbonIntensityPoint?> GetLatestAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("latest", zone, signal, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "latest", zone);
        return await response.Content.ReadFromJsonAsync<EmCarbonIntensityPoint>(cancellationToken);
    }

    /// <summary>GET /v3/carbon-intensity/history (the past 24 hours). Empty when the API does not know the zone.</summary>
    public async Task<IReadOnlyList<EmCarbonIntensityPoint>> GetHistoryAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("history", zone, signal, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        EnsureSuccess(response, "history", zone);
        var body = await response.Content.ReadFromJsonAsync<EmHistoryResponse>(cancellationToken);
        return body?.History ?? [];
    }

    /// <summary>
    /// GET /v3/carbon-intensity/forecast. Many tokens do not include forecasts: 401, 403 and 404 mean "not
    /// available" and give an empty list rather than an error.
    /// </summary>
    public async Task<IReadOnlyList<EmCarbonIntensityPoint>> GetForecastAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("forecast", zone, signal, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            _logger.LogInformation("Electricity Maps forecast for {Zone} not available with this token ({Status})", zone, (int)response.StatusCode);
            return [];
        }

        EnsureSuccess(response, "forecast", zone);
        var body = await response.Content.ReadFromJsonAsync<EmForecastResponse>(cancellationToken);
        return body?.Forecast ?? [];
    }

    private async Task<HttpResponseMessage> SendAsync(string endpoint, string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            throw new InvalidOperationException("Electricity Maps is not configured (no Carbon:ElectricityMaps:Token or ELECTRICITYMAPS_TOKEN).");
        }

        // shouldUseFallbackCallerLookup=false: never let the API silently answer for the caller's IP location instead of the zone.
        var query = $"zone={Uri.EscapeDataString(zone)}&emissionFactorType={ElectricityMapsMapper.FactorType(signal)}&shouldUseFallbackCallerLookup=false"
            + (_options.DisableEstimations ? "&disableEstimations=true" : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_options.BaseUrl.TrimEnd('/')}/v3/carbon-intensity/{endpoint}?{query}");
        request.Headers.TryAddWithoutValidation("auth-token", _options.Token);
        return await _httpFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    private static void EnsureSuccess(HttpResponseMessage response, string endpoint, string zone)
    {
        if (!response.IsSuccessStatusCode)
        {
            // The message names the endpoint and status only: the request headers (with the token) stay out of it.
            throw new HttpRequestException($"Electricity Maps {endpoint} for {zone} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        }
    }
}
