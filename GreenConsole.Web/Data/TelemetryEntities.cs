using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;

namespace GreenConsole.Web.Data;

/// <summary>
/// Columns every telemetry time-series row has. <see cref="AtMs"/> is Unix milliseconds (UTC): integers index and
/// compare correctly in SQLite, where EF cannot order DateTimeOffset text. Raw rows have Count 1; a rolled-up row
/// starts at its bucket and counts the raw samples it stands for.
/// </summary>
public abstract class TelemetryRowEntity
{
    public long Id { get; set; }
    public int CloudId { get; set; }
    public long AtMs { get; set; }
    public MetricResolution Resolution { get; set; }
    public int Count { get; set; } = 1;
}

/// <summary>One hardware sample (or a roll-up of several).</summary>
public sealed class HardwareSampleEntity : TelemetryRowEntity
{
    /// <summary>0..1, the mean over the row; min and max over the raw samples it covers.</summary>
    public double? CpuUtilization { get; set; }
    public double? CpuUtilizationMin { get; set; }
    public double? CpuUtilizationMax { get; set; }
    public double? MemoryUsedBytes { get; set; }
    public double? MemoryTotalBytes { get; set; }

    /// <summary>Mean utilisation over all GPUs (0..1).</summary>
    public double? GpuUtilization { get; set; }
    public int? GpuCount { get; set; }

    /// <summary>Why fields were missing ("; "-joined), for provenance.</summary>
    public string? Missing { get; set; }
}

/// <summary>Whole-machine power at a sample, by component, with how each component was obtained.</summary>
public sealed class PowerSampleEntity : TelemetryRowEntity
{
    public double TotalWatts { get; set; }
    public double TotalWattsMin { get; set; }
    public double TotalWattsMax { get; set; }
    public double? CpuWatts { get; set; }
    public double? GpuWatts { get; set; }
    public double? RamWatts { get; set; }
    public DataQuality Quality { get; set; }
    public DataQuality? CpuQuality { get; set; }
    public DataQuality? GpuQuality { get; set; }
    public DataQuality? RamQuality { get; set; }
    public string? CpuMethod { get; set; }
    public string? GpuMethod { get; set; }
    public string? RamMethod { get; set; }
    public string? Missing { get; set; }
}

/// <summary>Energy of the interval that ended at (raw) or lies in (roll-up) the row, and the CO2 charged to it.</summary>
public sealed class EmissionSampleEntity : TelemetryRowEntity
{
    public required string Zone { get; set; }

    /// <summary>Seconds integrated into <see cref="Kwh"/>.</summary>
    public double IntervalSeconds { get; set; }

    /// <summary>Seconds without usable samples before this one; no energy was attributed to them.</summary>
    public double GapSeconds { get; set; }
    public double Kwh { get; set; }
    public double Grams { get; set; }

    /// <summary>Energy for which no carbon intensity was known (charged 0 g).</summary>
    public double KwhWithoutIntensity { get; set; }
    public double? IntensityGramsPerKwh { get; set; }
    public DataQuality? IntensityQuality { get; set; }
    public string? IntensitySource { get; set; }
    public double Pue { get; set; }
}

/// <summary>A carbon-intensity figure the app used, one row per zone, signal and hour (the latest answer wins).</summary>
public sealed class CarbonReadingEntity
{
    public long Id { get; set; }
    public required string Zone { get; set; }
    public long AtMs { get; set; }
    public CarbonSignal Signal { get; set; }
    public double GramsPerKwh { get; set; }
    public DataQuality Quality { get; set; }
    public required string Source { get; set; }
    public string? Note { get; set; }
    public bool SourceEstimated { get; set; }
    public double? AgeSeconds { get; set; }
    public long ObtainedAtMs { get; set; }
}
