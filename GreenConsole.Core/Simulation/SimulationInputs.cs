using GreenConsole.Core.Migration;

namespace GreenConsole.Core.Simulation;

/// <summary>A cloud in a what-if run. <paramref name="Id"/> defaults to the zone.</summary>
public sealed record SimCloud(string Zone, double ThresholdGPerKwh, double Pue = 1.0, string? Id = null)
{
    public string CloudId => Id ?? Zone;
}

/// <summary>The simulated job. Lengths are whole hours: the simulator runs on the trace's hourly slots.</summary>
public sealed record SimJob
{
    public required int LengthHours { get; init; }
    public required double PowerKw { get; init; }

    /// <summary>Idle power during a move's downtime or a resume; null means 0.3 × <see cref="PowerKw"/>.</summary>
    public double? IdlePowerKw { get; init; }

    public required long CheckpointBytes { get; init; }
    public required double RestartSeconds { get; init; }

    /// <summary>Bandwidth between any two clouds, bytes/s, unless <see cref="BandwidthMatrix"/> is given.</summary>
    public required double BandwidthBytesPerSecond { get; init; }

    /// <summary>Optional [from, to] bandwidths in bytes/s, indexed like the cloud list.</summary>
    public double[,]? BandwidthMatrix { get; init; }

    public double IdleKw => IdlePowerKw ?? 0.3 * PowerKw;
}

/// <summary>A dense hourly trace: <c>Intensity[zoneIndex][hour]</c> in gCO2eq/kWh, hour 0 starting at <see cref="Start"/>.</summary>
public sealed class CarbonTrace
{
    public CarbonTrace(DateTimeOffset start, IReadOnlyList<string> zones, double[][] intensity)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(intensity);
        if (zones.Count != intensity.Length)
            throw new ArgumentException($"Trace has {zones.Count} zone names but {intensity.Length} rows.", nameof(intensity));
        if (zones.Count == 0)
            throw new ArgumentException("Trace has no zones.", nameof(zones));
        var hours = intensity[0].Length;
        for (var z = 0; z < intensity.Length; z++)
        {
            if (intensity[z].Length != hours)
                throw new ArgumentException($"Trace row for zone '{zones[z]}' has {intensity[z].Length} hours, expected {hours}.", nameof(intensity));
            for (var h = 0; h < hours; h++)
                if (!(intensity[z][h] >= 0) || double.IsInfinity(intensity[z][h]))
                    throw new ArgumentException($"Trace zone '{zones[z]}' hour {h}: intensity {intensity[z][h]} is not a finite number >= 0.", nameof(intensity));
        }

        Start = start;
        Zones = zones.ToArray();
        Intensity = intensity;
        Hours = hours;
    }

    public DateTimeOffset Start { get; }
    public IReadOnlyList<string> Zones { get; }
    public double[][] Intensity { get; }
    public int Hours { get; }

    public int IndexOf(string zone)
    {
        for (var i = 0; i < Zones.Count; i++)
            if (string.Equals(Zones[i], zone, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }
}

[Flags]
public enum SimPolicies
{
    None = 0,
    Stay = 1,
    ThresholdLowest = 2,
    GreenConsole = 4,
    Oracle = 8,
    TimeShift = 16,
    All = Stay | ThresholdLowest | GreenConsole | Oracle | TimeShift,
}

public sealed class SimulationOptions
{
    /// <summary>Options handed to the real <see cref="MigrationPolicy"/> for the greenconsole policy
    /// (its NoCandidateMode is forced to KeepRunning: pausing is what time-shift models).</summary>
    public MigrationPolicyOptions GreenConsole { get; set; } = new();

    /// <summary>
    /// Where each job starts, as indices into the cloud list. Default: only the first cloud. With several, each
    /// start hour is run once per start cloud and the job's figures are the mean over them.
    /// </summary>
    public IReadOnlyList<int> StartCloudIndices { get; set; } = [0];

    /// <summary>Time-shift deadline = ceil(length × factor) hours from the start; must be >= 1.</summary>
    public double TimeShiftDeadlineFactor { get; set; } = 2.0;

    /// <summary>Hours of (perfect) forecast from the trace handed to greenconsole; 0 = live readings only (persistence).</summary>
    public int GreenConsoleForecastHours { get; set; }

    public SimPolicies Policies { get; set; } = SimPolicies.All;

    /// <summary>Keep per-start-hour grams in the result (for charts).</summary>
    public bool IncludePerJob { get; set; }
}

public sealed record SimulationInput
{
    public required IReadOnlyList<SimCloud> Clouds { get; init; }
    public required SimJob Job { get; init; }
    public required CarbonTrace Trace { get; init; }

    /// <summary>Start hours as indices into the trace; each must leave room for the job (and its time-shift deadline).</summary>
    public required IReadOnlyList<int> StartHours { get; init; }

    public SimulationOptions Options { get; init; } = new();

    /// <summary>Every start hour that leaves room for the job and, when time-shift runs, its deadline.</summary>
    public static int[] AllStartHours(CarbonTrace trace, SimJob job, SimulationOptions options)
    {
        var span = Span(job, options);
        var n = Math.Max(0, trace.Hours - span + 1);
        var result = new int[n];
        for (var i = 0; i < n; i++)
            result[i] = i;
        return result;
    }

    /// <summary>Hours one start needs in the trace: the job length, or its time-shift deadline when time-shift runs.</summary>
    public static int DeadlineHoursFor(SimJob job, SimulationOptions options) => Span(job, options);

    internal static int Span(SimJob job, SimulationOptions options) =>
        (options.Policies & SimPolicies.TimeShift) != 0 ? DeadlineHours(job, options) : job.LengthHours;

    internal static int DeadlineHours(SimJob job, SimulationOptions options) =>
        Math.Max(job.LengthHours, (int)Math.Ceiling(job.LengthHours * options.TimeShiftDeadlineFactor - 1e-9));
}
