using GreenConsole.Core.Carbon;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Carbon.Yearly;

/// <summary>Last resort: the zone's (or country's) yearly average, always marked Fallback.</summary>
internal sealed class YearlyCarbonIntensityProvider : ICarbonIntensityProvider
{
    public const string SourceName = "yearly:electricitymaps-2024";

    private readonly Lazy<CarbonYearlyData> _data;
    private readonly TimeProvider _time;

    public YearlyCarbonIntensityProvider(IOptions<CarbonYearlyOptions> options, TimeProvider time, ILogger<YearlyCarbonIntensityProvider> logger)
    {
        _time = time;
        var path = CarbonDataFiles.Resolve(options.Value.FilePath);
        _data = new Lazy<CarbonYearlyData>(() =>
        {
            var data = CarbonYearlyData.Load(path);
            logger.LogInformation("Loaded yearly carbon table {Path}: {Zones} zones", path, data.Count);
            return data;
        });
    }

    public string Name => "yearly";

    public bool Supports(string zone) => _data.Value.Find(zone) is not null;

    public Task<CarbonIntensityReading?> GetCurrentAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        return Task.FromResult(Reading(zone, new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero), signal));
    }

    public Task<IReadOnlyList<CarbonIntensityReading>> GetHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CarbonIntensityReading>>([]);

    public Task<IReadOnlyList<CarbonIntensityReading>> GetForecastAsync(string zone, TimeSpan horizon, CarbonSignal signal, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CarbonIntensityReading>>([]);

    private CarbonIntensityReading? Reading(string zone, DateTimeOffset hour, CarbonSignal signal)
    {
        var match = _data.Value.Find(zone);
        if (match is null)
        {
            return null;
        }

        var value = signal == CarbonSignal.Direct ? match.Direct : match.LifeCycle;
        return new CarbonIntensityReading(match.ZoneId, hour, value, signal, DataQuality.Fallback, SourceName) { Note = match.How };
    }
}
