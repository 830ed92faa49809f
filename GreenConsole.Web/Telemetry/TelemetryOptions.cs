using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace GreenConsole.Web.Telemetry;

/// <summary>Section "Telemetry": polling, live buffers, the SQLite time series and its retention.</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary>Default seconds between two hardware samples of one cloud.</summary>
    [Range(1, 86_400)]
    public int HardwareIntervalSeconds { get; set; } = 5;

    /// <summary>Seconds between two carbon-intensity polls of every zone in use.</summary>
    [Range(10, 86_400)]
    public int CarbonIntervalSeconds { get; set; } = 300;

    /// <summary>How many clouds are probed at the same time.</summary>
    [Range(1, 1024)]
    public int MaxParallelPolls { get; set; } = 32;

    /// <summary>Samples further apart than this (or 3 × the cloud's interval, whichever is larger) are a gap: no energy is attributed to it.</summary>
    [Range(1, 86_400)]
    public int MaxGapSeconds { get; set; } = 30;

    /// <summary>Per-cloud overrides keyed by the cloud's id, e.g. Telemetry:PerCloud:7:HardwareIntervalSeconds.</summary>
    public Dictionary<string, CloudTelemetryOptions> PerCloud { get; set; } = [];

    /// <summary>How far back the in-memory chart buffer of each cloud reaches.</summary>
    [Range(10, 86_400)]
    public int LiveWindowSeconds { get; set; } = 3600;

    /// <summary>Hard cap on points per cloud in the chart buffer, whatever the interval.</summary>
    [Range(10, 100_000)]
    public int LiveMaxPoints { get; set; } = 1440;

    /// <summary>Default capacity of a sample-stream subscriber's channel; the oldest points are dropped when it is full.</summary>
    [Range(1, 1_000_000)]
    public int SubscriberCapacity { get; set; } = 4096;

    /// <summary>Samples waiting for the database; beyond this new ones are dropped (and counted) rather than block a poll.</summary>
    [Range(100, 10_000_000)]
    public int WriterQueueCapacity { get; set; } = 100_000;

    /// <summary>A batch is written once it holds this many samples ...</summary>
    [Range(1, 100_000)]
    public int WriterBatchSize { get; set; } = 500;

    /// <summary>... or once its oldest sample waited this long.</summary>
    [Range(0.05, 3600)]
    public double WriterFlushSeconds { get; set; } = 2;

    /// <summary>Minutes between two retention runs.</summary>
    [Range(1, 1440)]
    public int RetentionIntervalMinutes { get; set; } = 60;

    /// <summary>Raw samples are kept this long, then rolled up per minute.</summary>
    [Range(1, 24 * 365)]
    public int RawRetentionHours { get; set; } = 24;

    /// <summary>Per-minute rows are kept this long, then rolled up per hour (kept forever).</summary>
    [Range(1, 3650)]
    public int MinuteRetentionDays { get; set; } = 30;

    /// <summary>The hardware interval of one cloud (its override, or the default).</summary>
    public TimeSpan HardwareIntervalFor(int cloudId) =>
        TimeSpan.FromSeconds(PerCloud.TryGetValue(cloudId.ToString(CultureInfo.InvariantCulture), out var o) && o.HardwareIntervalSeconds is { } s
            ? s
            : HardwareIntervalSeconds);

    /// <summary>The scheduler tick: the shortest interval of any cloud, so each cloud's own due time can be honoured.</summary>
    public TimeSpan HardwareTick => TimeSpan.FromSeconds(PerCloud.Values
        .Select(o => o.HardwareIntervalSeconds ?? HardwareIntervalSeconds)
        .Append(HardwareIntervalSeconds)
        .Min());

    public TimeSpan MaxGapFor(int cloudId)
    {
        var interval = HardwareIntervalFor(cloudId) * 3;
        var configured = TimeSpan.FromSeconds(MaxGapSeconds);
        return interval > configured ? interval : configured;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, value) in PerCloud)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                yield return new ValidationResult($"Telemetry:PerCloud:{key}: the key must be a cloud id (digits).", [nameof(PerCloud)]);
            }

            if (value.HardwareIntervalSeconds is < 1 or > 86_400)
            {
                yield return new ValidationResult(
                    $"Telemetry:PerCloud:{key}:HardwareIntervalSeconds must be between 1 and 86400 (got {value.HardwareIntervalSeconds}).", [nameof(PerCloud)]);
            }
        }

        if (MinuteRetentionDays * 24 < RawRetentionHours)
        {
            yield return new ValidationResult("Telemetry:MinuteRetentionDays must cover at least Telemetry:RawRetentionHours.", [nameof(MinuteRetentionDays)]);
        }
    }
}

public sealed class CloudTelemetryOptions
{
    public int? HardwareIntervalSeconds { get; set; }
}
