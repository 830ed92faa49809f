using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Live;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Telemetry;

/// <summary>
/// Live telemetry, written only by the poll jobs and read by pages: per cloud the latest sample, power and
/// intensity, a bounded chart buffer, cumulative kWh and gCO2 and poll health; per zone the latest carbon reading;
/// the chain's provider health. Pages subscribe to <see cref="Changes"/> (throttled); high-rate consumers take
/// their own bounded channel with <see cref="SubscribeSamples"/>.
/// </summary>
public sealed class TelemetryStore
{
    private readonly ConcurrentDictionary<int, CloudState> _clouds = new();
    private readonly ConcurrentDictionary<(string Zone, CarbonSignal Signal), CarbonIntensityReading> _intensity = new();
    private readonly TelemetryOptions _options;
    private readonly TimeProvider _time;
    private readonly PowerModelOptions _power;
    private TelemetrySubscription[] _subscribers = [];
    private readonly object _subscribersGate = new();

    public TelemetryStore(IOptions<TelemetryOptions> options, TimeProvider time, PowerModelOptions? powerModel = null)
    {
        _options = options.Value;
        _time = time;
        _power = powerModel ?? new PowerModelOptions();
        Changes = new ChangeFeed(time);
    }

    /// <summary>Fires (throttled per subscriber) after any write.</summary>
    public ChangeFeed Changes { get; }

    /// <summary>The signal the app accounts with (set from Carbon:Signal).</summary>
    public CarbonSignal Signal { get; set; } = CarbonSignal.LifeCycle;

    public IReadOnlyDictionary<string, ProviderHealth> ProviderHealth { get; private set; } = new Dictionary<string, ProviderHealth>();

    public PollCycleResult? LastHardwareCycle { get; private set; }

    public CarbonPollResult? LastCarbonPoll { get; private set; }

    public CloudTelemetrySnapshot? Get(int cloudId) => _clouds.TryGetValue(cloudId, out var s) ? s.Snapshot() : null;

    public IReadOnlyList<CloudTelemetrySnapshot> All => _clouds.Values.Select(s => s.Snapshot()).OrderBy(s => s.CloudId).ToList();

    /// <summary>The chart buffer of one cloud, oldest first, limited to <paramref name="window"/> (default Telemetry:LiveWindowSeconds).</summary>
    public IReadOnlyList<TelemetryPoint> History(int cloudId, TimeSpan? window = null) =>
        _clouds.TryGetValue(cloudId, out var s)
            ? s.Ring.Since(_time.GetUtcNow() - (window ?? TimeSpan.FromSeconds(_options.LiveWindowSeconds)))
            : [];

    /// <summary>The latest reading for a zone in the accounting signal, or null.</summary>
    public CarbonIntensityReading? Intensity(string zone) => Intensity(zone, Signal);

    public CarbonIntensityReading? Intensity(string zone, CarbonSignal signal) =>
        _intensity.GetValueOrDefault((zone.ToUpperInvariant(), signal));

    public IReadOnlyDictionary<string, CarbonIntensityReading> Intensities =>
        _intensity.Where(kv => kv.Key.Signal == Signal).ToDictionary(kv => kv.Key.Zone, kv => kv.Value, StringComparer.Ordinal);

    public int SampleSubscriberCount => Volatile.Read(ref _subscribers).Length;

    public void SetIntensity(string zone, CarbonIntensityReading reading)
    {
        _intensity[(zone.ToUpperInvariant(), reading.Signal)] = reading;
        Changes.NotifyChanged();
    }

    public void SetProviderHealth(IReadOnlyDictionary<string, ProviderHealth> health)
    {
        ProviderHealth = health;
        Changes.NotifyChanged();
    }

    public void CarbonPollCompleted(CarbonPollResult result)
    {
        LastCarbonPoll = result;
        Changes.NotifyChanged();
    }

    public void HardwareCycleCompleted(PollCycleResult result)
    {
        LastHardwareCycle = result;
        Changes.NotifyChanged();
    }

    /// <summary>
    /// Turns a hardware sample into power (per component, with provenance), the energy since the cloud's previous
    /// sample (this sample's power held over the interval; a gap longer than the cloud's max gap gets no energy) and grams = kWh × the zone's latest
    /// intensity × PUE; then updates the live state and fans the point out. Returns it for the database writer.
    /// </summary>
    public ProcessedSample RecordSample(int cloudId, string zone, double pue, HardwareSample sample, TimeSpan pollDuration)
    {
        var state = _clouds.GetOrAdd(cloudId, id => new CloudState(id, Math.Min(_options.LiveMaxPoints, Math.Max(10, _options.LiveWindowSeconds / Math.Max(1, (int)_options.HardwareIntervalFor(id).TotalSeconds) + 1))));
        var intensity = Intensity(zone);
        ProcessedSample processed;
        lock (state.Gate)
        {
            var power = PowerModel.Estimate(sample, state.PreviousSample, _power);
            double intervalSeconds = 0, gapSeconds = 0, kwh = 0, grams = 0, kwhWithout = 0;
            if (state.PreviousPower is { } previous && sample.At > previous.At)
            {
                // CPU utilisation and RAPL are deltas over (previous, current], so this estimate is the interval's mean
                // power: hold it over the interval rather than interpolate from the previous one (which, for a
                // cloud's first interval, has no CPU part at all).
                var integration = EnergyIntegrator.Integrate(
                    [new PowerPoint(previous.At, power.TotalW), new PowerPoint(sample.At, power.TotalW)],
                    _options.MaxGapFor(cloudId));
                var emissions = EmissionsCalculator.Compute(integration.Segments, _ => intensity, Math.Max(1, pue));
                intervalSeconds = integration.Covered.TotalSeconds;
                gapSeconds = integration.GapTime.TotalSeconds;
                kwh = emissions.Kwh;
                grams = emissions.Grams;
                kwhWithout = emissions.KwhWithoutIntensity;
            }

            var gpus = sample.Gpus.HasValue ? sample.Gpus.Value : [];
            var gpuUtils = gpus.Where(g => g.Utilization.HasValue).Select(g => g.Utilization.Value).ToList();
            var point = new TelemetryPoint(
                cloudId, sample.At,
                sample.CpuUtilization.HasValue ? sample.CpuUtilization.Value : null,
                gpuUtils.Count > 0 ? gpuUtils.Average() : null,
                sample.MemoryUsedBytes.HasValue ? sample.MemoryUsedBytes.Value : null,
                sample.MemoryTotalBytes.HasValue ? sample.MemoryTotalBytes.Value : null,
                power.TotalW, power.Cpu?.Watts, power.Gpu?.Watts, power.Ram?.Watts, power.Quality,
                intervalSeconds, gapSeconds, kwh, grams, kwhWithout,
                intensity?.GramsPerKwh, intensity?.Quality, intensity?.Source, zone, pue);

            state.PreviousSample = sample;
            state.PreviousPower = power;
            state.Zone = zone;
            state.Pue = pue;
            state.Intensity = intensity;
            state.LatestPoint = point;
            state.CumulativeKwh += kwh;
            state.CumulativeGrams += grams;
            state.CumulativeKwhWithout += kwhWithout;
            state.CumulativeGap += TimeSpan.FromSeconds(gapSeconds);
            state.Samples++;
            state.ConsecutiveFailures = 0;
            state.LastPollAt = sample.At;
            state.LastSuccessAt = sample.At;
            state.LastPollDuration = pollDuration;
            state.Reachable = true;
            state.LastErrorKind = null;
            state.LastError = null;
            state.Ring.Add(point);
            processed = new ProcessedSample(point, sample, power);
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Offer(processed.Point);
        }

        Changes.NotifyChanged();
        return processed;
    }

    /// <summary>Records a failed poll. An unreachable cloud (<paramref name="kind"/> set) is a state, not an error of the job.</summary>
    public void RecordFailure(int cloudId, string zone, double pue, DateTimeOffset at, TimeSpan pollDuration, RemoteErrorKind? kind, string error)
    {
        var state = _clouds.GetOrAdd(cloudId, id => new CloudState(id, Math.Min(_options.LiveMaxPoints, 10)));
        lock (state.Gate)
        {
            state.Zone = zone;
            state.Pue = pue;
            state.Failures++;
            state.ConsecutiveFailures++;
            state.LastPollAt = at;
            state.LastPollDuration = pollDuration;
            state.Reachable = kind is null ? state.Reachable : false;
            state.LastErrorKind = kind;
            state.LastError = error;
        }

        Changes.NotifyChanged();
    }

    /// <summary>Drops a cloud that is no longer registered.</summary>
    public void Forget(int cloudId)
    {
        if (_clouds.TryRemove(cloudId, out _))
        {
            Changes.NotifyChanged();
        }
    }

    public IReadOnlyCollection<int> CloudIds => [.. _clouds.Keys];

    /// <summary>
    /// A bounded channel receiving every processed point (optionally of one cloud). When the reader falls behind the
    /// oldest points are dropped and counted in <see cref="TelemetrySubscription.Dropped"/>. Dispose to unsubscribe.
    /// </summary>
    public TelemetrySubscription SubscribeSamples(int? capacity = null, int? cloudId = null)
    {
        var subscription = new TelemetrySubscription(this, capacity ?? _options.SubscriberCapacity, cloudId);
        lock (_subscribersGate)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    internal void Unsubscribe(TelemetrySubscription subscription)
    {
        lock (_subscribersGate)
        {
            _subscribers = [.. _subscribers.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    private sealed class CloudState(int cloudId, int ringCapacity)
    {
        public object Gate { get; } = new();
        public SampleRing Ring { get; } = new(ringCapacity);
        public string Zone { get; set; } = "";
        public double Pue { get; set; } = 1;
        public HardwareSample? PreviousSample { get; set; }
        public PowerEstimate? PreviousPower { get; set; }
        public TelemetryPoint? LatestPoint { get; set; }
        public CarbonIntensityReading? Intensity { get; set; }
        public double CumulativeKwh { get; set; }
        public double CumulativeGrams { get; set; }
        public double CumulativeKwhWithout { get; set; }
        public TimeSpan CumulativeGap { get; set; }
        public long Samples { get; set; }
        public long Failures { get; set; }
        public int ConsecutiveFailures { get; set; }
        public DateTimeOffset? LastPollAt { get; set; }
        public DateTimeOffset? LastSuccessAt { get; set; }
        public TimeSpan? LastPollDuration { get; set; }
        public bool? Reachable { get; set; }
        public RemoteErrorKind? LastErrorKind { get; set; }
        public string? LastError { get; set; }

        public CloudTelemetrySnapshot Snapshot()
        {
            lock (Gate)
            {
                return new CloudTelemetrySnapshot(cloudId, Zone, Pue, PreviousSample, PreviousPower, LatestPoint, Intensity,
                    CumulativeKwh, CumulativeGrams, CumulativeKwhWithout, CumulativeGap, Samples, Failures, ConsecutiveFailures,
                    LastPollAt, LastSuccessAt, LastPollDuration, Reachable, LastErrorKind, LastError);
            }
        }
    }
}

/// <summary>One consumer's bounded view of the sample stream.</summary>
public sealed class TelemetrySubscription : IDisposable
{
    private readonly TelemetryStore _owner;
    private readonly int? _cloudId;
    private readonly Channel<TelemetryPoint> _channel;
    private long _dropped;

    internal TelemetrySubscription(TelemetryStore owner, int capacity, int? cloudId)
    {
        _owner = owner;
        _cloudId = cloudId;
        _channel = Channel.CreateBounded<TelemetryPoint>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
    }

    public ChannelReader<TelemetryPoint> Reader => _channel.Reader;

    /// <summary>Points lost because this reader fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    internal void Offer(TelemetryPoint point)
    {
        if (_cloudId is null || _cloudId == point.CloudId)
        {
            _channel.Writer.TryWrite(point);
        }
    }

    /// <summary>Waits for at least one point, then yields everything already queued (up to <paramref name="maxBatch"/>) as one batch.</summary>
    public async IAsyncEnumerable<IReadOnlyList<TelemetryPoint>> ReadBatchesAsync(int maxBatch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        while (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var batch = new List<TelemetryPoint>();
            while (batch.Count < maxBatch && _channel.Reader.TryRead(out var point))
            {
                batch.Add(point);
            }

            if (batch.Count > 0)
            {
                yield return batch;
            }
        }
    }

    public void Dispose()
    {
        _owner.Unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
