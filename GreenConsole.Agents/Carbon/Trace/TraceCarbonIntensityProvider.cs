using GreenConsole.Core.Carbon;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Carbon.Trace;

/// <summary>Replays the embedded Electricity Maps 2023 hourly trace: the default, offline carbon source.</summary>
internal sealed class TraceCarbonIntensityProvider : ICarbonIntensityProvider
{
    public const string SourceName = "trace:electricitymaps-2023";

    private readonly Lazy<CarbonTraceData> _data;
    private readonly TraceTimeMapper _mapper;
    private readonly TimeProvider _time;

    public TraceCarbonIntensityProvider(IOptions<CarbonTraceOptions> options, TimeProvider time, ILogger<TraceCarbonIntensityProvider> logger)
    {
        _time = time;
        _mapper = new TraceTimeMapper(options.Value, time.GetUtcNow());
        var path = CarbonDataFiles.Resolve(options.Value.FilePath);
        _data = new Lazy<CarbonTraceData>(() =>
        {
            var data = CarbonTraceData.Load(path);
            logger.LogInformation("Loaded carbon trace {Path}: {Zones} zones in {Ms} ms", path, data.Zones.Count, (long)data.LoadTime.TotalMilliseconds);
            return data;
        });
    }

    public string Name => "trace";

    public IReadOnlyCollection<string> Zones => _data.Value.Zones;

    public bool Supports(string zone) => _data.Value.HasZone(zone);

    public Task<CarbonIntensityReading?> GetCurrentAsync(string zone, CarbonSignal signal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(At(zone, _time.GetUtcNow(), signal, forecast: false));
    }

    public Task<IReadOnlyList<CarbonIntensityReading>> GetHistoryAsync(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        return Task.FromResult(Slots(zone, from, to < now ? to : now, signal, forecast: false));
    }

    public Task<IReadOnlyList<CarbonIntensityReading>> GetForecastAsync(string zone, TimeSpan horizon, CarbonSignal signal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        return Task.FromResult(Slots(zone, _mapper.SlotStart(now) + _mapper.SlotLength, now + horizon, signal, forecast: true));
    }

    private IReadOnlyList<CarbonIntensityReading> Slots(string zone, DateTimeOffset from, DateTimeOffset to, CarbonSignal signal, bool forecast)
    {
        var list = new List<CarbonIntensityReading>();
        if (!Supports(zone) || to <= from)
        {
            return list;
        }

        // A year of slots is the most a replay can usefully return; it also bounds huge SpeedUp values.
        var slot = _mapper.SlotStart(from);
        if (slot < from)
        {
            slot += _mapper.SlotLength;
        }

        while (slot < to && list.Count < TraceTimeMapper.HoursPerYear)
        {
            list.Add(At(zone, slot, signal, forecast)!);
            slot += _mapper.SlotLength;
        }

        return list;
    }

    private CarbonIntensityReading? At(string zone, DateTimeOffset real, CarbonSignal signal, bool forecast)
    {
        var hour = _mapper.HourIndex(real);
        var value = _data.Value.Get(zone, hour, signal == CarbonSignal.Direct);
        if (value is null)
        {
            return null;
        }

        var traceHour = TraceTimeMapper.TraceYearStart.AddHours(hour);
        var quality = value.Value.Estimated || forecast ? DataQuality.Estimated : DataQuality.Measured;
        return new CarbonIntensityReading(zone.ToUpperInvariant(), _mapper.SlotStart(real), value.Value.Value, signal, quality, SourceName, SourceEstimated: value.Value.Estimated)
        {
            RecordedAt = traceHour,
            Note = forecast
                ? $"replay of {traceHour:yyyy-MM-dd HH}:00 UTC used as forecast (the recorded value)"
                : $"replay of {traceHour:yyyy-MM-dd HH}:00 UTC",
        };
    }
}
