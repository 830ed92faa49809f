using System.Collections.Concurrent;
using GreenConsole.Core.Carbon;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace GreenConsole.Agents.Carbon.Chain;

/// <summary>
/// The carbon source the app uses. Per zone it asks providers in order (live API if configured, then the trace,
/// then the yearly table), each under a timeout. When a provider fails and the last good value for the zone came
/// from that provider or a better one, that value is served again marked Stale with its age, until it is older
/// than Carbon:MaxStaleMinutes; after that the next provider answers. A failing provider is skipped for
/// Carbon:ErrorCooldownSeconds so a dead API costs one timeout, not one per poll.
/// </summary>
public sealed class ResilientCarbonIntensityProvider : ICarbonIntensityProvider, ICarbonProviderHealth
{
    private readonly IReadOnlyList<ICarbonIntensityProvider> _providers;
    private readonly CarbonOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ResilientCarbonIntensityProvider> _logger;
    private readonly ResiliencePipeline _timeout;
    private readonly ConcurrentDictionary<(string Zone, CarbonSignal Signal), CachedReading> _lastGood = new();
    private readonly ConcurrentDictionary<string, HealthCounter> _health = new(StringComparer.Ordinal);

    public ResilientCarbonIntensityProvider(
        IEnumerable<ICarbonIntensityProvider> providersInOrder,
        IOptions<CarbonOptions> options,
        TimeProvider time,
        ILogger<ResilientCarbonIntensityProvider> logger)
    {
        _providers = providersInOrder.ToList();
        _options = options.Value;
        _time = time;
        _logger = logger;
        _timeout = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(TimeSpan.FromSeconds(_options.ProviderTimeoutSeconds))
            .Build();
        foreach (var provider in _providers)
        {
            _health[provider.Name] = new HealthCounter();
        }
    }

    public string Name => "chain";

    /// <summary>Provider names in the order they are tried.</summary>
    public IReadOnlyList<string> ProviderOrder => _providers.Select(p => p.Name).ToList();

    public IReadOnlyDictionary<string, ProviderHealth> Health =>
        _health.ToDictionary(kv => kv.Key, kv => kv.Value.Snapshot(kv.Key), StringComparer.Ordinal);

    public bool Supports(string zone) => _providers.Any(p => SafeSupports(p, zone));

    public async Task<CarbonIntensityReading?> GetCurrentAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        var key = (zone.ToUpperInvariant(), signal);
        for (var i = 0; i < _providers.Count; i++)
        {
            var provider = _providers[i];
            if (!SafeSupports(provider, zone))
            {
                continue;
            }

            var now = _time.GetUtcNow();
            var health = _health[provider.Name];
            bool failed;
            if (health.InCooldown(now, TimeSpan.FromSeconds(_options.ErrorCooldownSeconds)))
            {
                failed = true;
            }
            else
            {
                var (reading, error) = await TryAsync(provider, (p, ct) => p.GetCurrentAsync(zone, signal, ct), cancellationToken);
                if (error is null && reading is not null)
                {
                    _lastGood[key] = new CachedReading(reading, i, _time.GetUtcNow());
                    return reading;
                }

                failed = error is not null;
            }

            if (failed && _lastGood.TryGetValue(key, out var cached) && cached.ProviderRank <= i)
            {
                var age = _time.GetUtcNow() - cached.ObtainedAt;
                if (age <= TimeSpan.FromMinutes(_options.MaxStaleMinutes))
                {
                    return cached.Reading.AsStale(age);
                }
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<CarbonIntensityReading>> GetHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken) =>
        await FirstNonEmptyAsync(zone, (p, ct) => p.GetHistoryAsync(zone, from, to, signal, ct), cancellationToken);

    public async Task<IReadOnlyList<CarbonIntensityReading>> GetForecastAsync(string zone, TimeSpan horizon, CarbonSignal signal, CancellationToken cancellationToken) =>
        await FirstNonEmptyAsync(zone, (p, ct) => p.GetForecastAsync(zone, horizon, signal, ct), cancellationToken);

    private async Task<IReadOnlyList<CarbonIntensityReading>> FirstNonEmptyAsync(
        string zone, Func<ICarbonIntensityProvider, CancellationToken, Task<IReadOnlyList<CarbonIntensityReading>>> call, CancellationToken cancellationToken)
    {
        foreach (var provider in _providers)
        {
            if (!SafeSupports(provider, zone) || _health[provider.Name].InCooldown(_time.GetUtcNow(), TimeSpan.FromSeconds(_options.ErrorCooldownSeconds)))
            {
                continue;
            }

            var (result, error) = await TryAsync(provider, call, cancellationToken);
            if (error is null && result is { Count: > 0 })
            {
                return result;
            }
        }

        return [];
    }

    private async Task<(T? Result, Exception? Error)> TryAsync<T>(ICarbonIntensityProvider provider, Func<ICarbonIntensityProvider, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var health = _health[provider.Name];
        try
        {
            var result = await _timeout.ExecuteAsync(
                async token => await call(provider, token).WaitAsync(token),
                cancellationToken);
            health.Success(_time.GetUtcNow());
            return (result, null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            health.Error(_time.GetUtcNow(), ex);
            _logger.LogWarning("Carbon provider {Provider} failed ({ErrorType}: {Error}); errors so far {Count}",
                provider.Name, ex.GetType().Name, ex.Message, health.ErrorCount);
            return (default, ex);
        }
    }

    private bool SafeSupports(ICarbonIntensityProvider provider, string zone)
    {
        try
        {
            return provider.Supports(zone);
        }
        catch (Exception ex)
        {
            // A provider whose data cannot load (missing file) must not take the chain down with it.
            _health[provider.Name].Error(_time.GetUtcNow(), ex);
            _logger.LogError(ex, "Carbon provider {Provider} cannot check zone {Zone}", provider.Name, zone);
            return false;
        }
    }

    private sealed record CachedReading(CarbonIntensityReading Reading, int ProviderRank, DateTimeOffset ObtainedAt);

    private sealed class HealthCounter
    {
        private readonly object _gate = new();
        private long _successes;
        private long _errors;
        private DateTimeOffset? _lastSuccess;
        private DateTimeOffset? _lastErrorAt;
        private string? _lastError;

        public long ErrorCount => Interlocked.Read(ref _errors);

        public void Success(DateTimeOffset at)
        {
            lock (_gate)
            {
                _successes++;
                _lastSuccess = at;
            }
        }

        public void Error(DateTimeOffset at, Exception ex)
        {
            lock (_gate)
            {
                _errors++;
                _lastErrorAt = at;
                _lastError = $"{ex.GetType().Name}: {ex.Message}";
            }
        }

        /// <summary>True while the latest outcome is an error younger than the cool-down.</summary>
        public bool InCooldown(DateTimeOffset now, TimeSpan cooldown)
        {
            lock (_gate)
            {
                return _lastErrorAt is { } errorAt && (_lastSuccess is null || _lastSuccess < errorAt) && now - errorAt < cooldown;
            }
        }

        public ProviderHealth Snapshot(string name)
        {
            lock (_gate)
            {
                return new ProviderHealth(name, _successes, _errors, _lastSuccess, _lastErrorAt, _lastError);
            }
        }
    }
}
