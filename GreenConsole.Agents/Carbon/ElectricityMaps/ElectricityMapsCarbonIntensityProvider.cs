using System.Collections.Concurrent;
using GreenConsole.Core.Carbon;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Carbon.ElectricityMaps;

/// <summary>Live values from the Electricity Maps API; supports nothing when no token is configured.</summary>
internal sealed class ElectricityMapsCarbonIntensityProvider : ICarbonIntensityProvider
{
    private readonly ElectricityMapsClient _client;
    private readonly ElectricityMapsOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Zone, CarbonSignal Signal), (DateTimeOffset At, IReadOnlyList<CarbonIntensityReading> Readings)> _forecasts = new();

    public ElectricityMapsCarbonIntensityProvider(ElectricityMapsClient client, IOptions<ElectricityMapsOptions> options, TimeProvider time)
    {
        _client = client;
        _options = options.Value;
        _time = time;
    }

    public string Name => "electricitymaps";

    public bool Supports(string zone) => _options.Enabled && !string.IsNullOrWhiteSpace(zone);

    public async Task<CarbonIntensityReading?> GetCurrentAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        var point = await _client.GetLatestAsync(zone, signal, cancellationToken);
        return point is null ? null : ElectricityMapsMapper.ToReading(point, zone, signal);
    }

    public async Task<IReadOnlyList<CarbonIntensityReading>> GetHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken)
    {
        // The free endpoint only covers the last 24 hours; filter to the requested window.
        var points = await _client.GetHistoryAsync(zone, signal, cancellationToken);
        return points.Select(p => ElectricityMapsMapper.ToReading(p, zone, signal))
            .OfType<CarbonIntensityReading>()
            .Where(r => r.At >= from && r.At < to)
            .OrderBy(r => r.At)
            .ToList();
    }

    public async Task<IReadOnlyList<CarbonIntensityReading>> GetForecastAsync(string zone, TimeSpan horizon, CarbonSignal signal, CancellationToken cancellationToken)
    {
        var key = (zone.ToUpperInvariant(), signal);
        var now = _time.GetUtcNow();
        IReadOnlyList<CarbonIntensityReading> readings;
        if (_forecasts.TryGetValue(key, out var cached) && now - cached.At < TimeSpan.FromSeconds(_options.ForecastCacheSeconds))
        {
            readings = cached.Readings;
        }
        else
        {
            var points = await _client.GetForecastAsync(zone, signal, cancellationToken);
            readings = points.Select(p => ElectricityMapsMapper.ToReading(p, zone, signal, forecast: true)).OfType<CarbonIntensityReading>().OrderBy(r => r.At).ToList();
            _forecasts[key] = (now, readings);
        }

        if (readings.Count == 0)
        {
            return readings;
        }

        var end = readings[0].At + horizon;
        return readings.Where(r => r.At < end).ToList();
    }
}
