namespace GreenConsole.Core.Carbon;

/// <summary>Port for any source of grid carbon intensity (live API, embedded trace, yearly table, the resilient chain).</summary>
public interface ICarbonIntensityProvider
{
    /// <summary>Short stable name used in health reports and logs (for example "electricitymaps", "trace", "yearly").</summary>
    string Name { get; }

    /// <summary>Whether this provider can answer for the zone at all (no I/O).</summary>
    bool Supports(string zone);

    /// <summary>The figure for the current hour, or null when the provider has nothing for the zone.</summary>
    Task<CarbonIntensityReading?> GetCurrentAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken);

    /// <summary>Hourly figures with <c>from &lt;= At &lt; to</c>, oldest first; empty when unsupported.</summary>
    Task<IReadOnlyList<CarbonIntensityReading>> GetHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken);

    /// <summary>Hourly forecast from now on, oldest first, at most <paramref name="horizon"/> ahead; empty when unsupported.</summary>
    Task<IReadOnlyList<CarbonIntensityReading>> GetForecastAsync(string zone, TimeSpan horizon, CarbonSignal signal, CancellationToken cancellationToken);
}

/// <summary>Per-provider health, for the UI.</summary>
public sealed record ProviderHealth(
    string Provider,
    long SuccessCount,
    long ErrorCount,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? LastErrorAt,
    string? LastError);

/// <summary>Exposes per-provider health counters (implemented by the resilient chain).</summary>
public interface ICarbonProviderHealth
{
    /// <summary>The providers' names in the order they are asked.</summary>
    IReadOnlyList<string> ProviderOrder { get; }

    IReadOnlyDictionary<string, ProviderHealth> Health { get; }
}
