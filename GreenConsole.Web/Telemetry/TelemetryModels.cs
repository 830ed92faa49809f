using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;

namespace GreenConsole.Web.Telemetry;

/// <summary>
/// One processed sample of one cloud: what the chart buffers, the sample stream and the database receive.
/// <see cref="Kwh"/>/<see cref="Grams"/> cover the interval since the cloud's previous sample (0 after a gap).
/// </summary>
public sealed record TelemetryPoint(
    int CloudId,
    DateTimeOffset At,
    double? CpuUtilization,
    double? GpuUtilization,
    double? MemoryUsedBytes,
    double? MemoryTotalBytes,
    double PowerWatts,
    double? CpuWatts,
    double? GpuWatts,
    double? RamWatts,
    DataQuality PowerQuality,
    double IntervalSeconds,
    double GapSeconds,
    double Kwh,
    double Grams,
    double KwhWithoutIntensity,
    double? IntensityGramsPerKwh,
    DataQuality? IntensityQuality,
    string? IntensitySource,
    string Zone,
    double Pue);

/// <summary>A processed sample with everything needed to store it (the full sample and power provenance).</summary>
public sealed record ProcessedSample(TelemetryPoint Point, HardwareSample Sample, PowerEstimate Power);

/// <summary>The live state of one cloud, as pages read it from <see cref="TelemetryStore"/>.</summary>
public sealed record CloudTelemetrySnapshot(
    int CloudId,
    string Zone,
    double Pue,
    HardwareSample? LatestSample,
    PowerEstimate? LatestPower,
    TelemetryPoint? LatestPoint,
    CarbonIntensityReading? Intensity,
    double CumulativeKwh,
    double CumulativeGrams,
    double CumulativeKwhWithoutIntensity,
    TimeSpan CumulativeGap,
    long Samples,
    long Failures,
    int ConsecutiveFailures,
    DateTimeOffset? LastPollAt,
    DateTimeOffset? LastSuccessAt,
    TimeSpan? LastPollDuration,
    bool? Reachable,
    RemoteErrorKind? LastErrorKind,
    string? LastError);

/// <summary>Totals of one hardware poll cycle.</summary>
public sealed record PollCycleResult(DateTimeOffset StartedAt, TimeSpan Elapsed, int Due, int Succeeded, int Unreachable, int Failed, int StillRunning);

/// <summary>Totals of one carbon poll.</summary>
public sealed record CarbonPollResult(DateTimeOffset At, int Zones, int Answered, int Missing);
