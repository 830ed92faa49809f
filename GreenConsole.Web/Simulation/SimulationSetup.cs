using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Web.Simulation;

/// <summary>A cloud as the user names it; a null threshold takes the default rule (<see cref="SimulationSetup.DefaultThreshold"/>).</summary>
public sealed record SimCloudSpec(string Zone, double? ThresholdGPerKwh = null, double Pue = 1.0, string? Id = null);

/// <summary>A what-if run as the CLI and the page describe it, in user units.</summary>
public sealed record SimulationRequest
{
    public required IReadOnlyList<SimCloudSpec> Clouds { get; init; }
    public int JobHours { get; init; } = 6;
    public double PowerKw { get; init; } = 0.4;

    /// <summary>Checkpoint size in megabytes (10^6 bytes).</summary>
    public double CheckpointMb { get; init; } = 100;

    public double RestartSeconds { get; init; } = 30;

    /// <summary>Bandwidth between clouds in megabits per second (10^6 bit/s).</summary>
    public double BandwidthMbps { get; init; } = 50;

    /// <summary>False: every job starts on the first cloud. True: each start hour is run from every cloud and averaged.</summary>
    public bool StartOnEveryCloud { get; init; }

    /// <summary>The live controller's policy settings (Migration:Policy), so greenconsole here is the production policy.</summary>
    public MigrationPolicyOptions Policy { get; init; } = new();
}

/// <summary>Turns a <see cref="SimulationRequest"/> and a trace into the simulator's input.</summary>
public static class SimulationSetup
{
    /// <summary>
    /// Default threshold of a zone without one: the zone's median intensity over the simulated window, so the cloud
    /// counts as dirty in the worse half of its own hours.
    /// </summary>
    public static double DefaultThreshold(CarbonTrace trace, string zone)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var z = trace.IndexOf(zone);
        if (z < 0)
            throw new ArgumentException($"Zone '{zone}' is not in the trace (zones: {string.Join(", ", trace.Zones)}).", nameof(zone));
        var sorted = (double[])trace.Intensity[z].Clone();
        Array.Sort(sorted);
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /// <summary>Validates the request against the trace and builds the input over every start hour that fits.</summary>
    public static SimulationInput Build(SimulationRequest request, CarbonTrace trace)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(trace);
        if (request.Clouds.Count == 0)
            throw new ArgumentException("Name at least one cloud or zone.");
        if (request.JobHours < 1)
            throw new ArgumentException($"Job length must be at least 1 hour (got {request.JobHours}).");
        if (!(request.PowerKw > 0) || double.IsInfinity(request.PowerKw))
            throw new ArgumentException($"Power must be a positive number of kW (got {request.PowerKw}).");
        if (request.CheckpointMb < 0 || double.IsNaN(request.CheckpointMb) || double.IsInfinity(request.CheckpointMb))
            throw new ArgumentException($"Checkpoint size must be >= 0 MB (got {request.CheckpointMb}).");
        if (request.RestartSeconds < 0 || double.IsNaN(request.RestartSeconds) || double.IsInfinity(request.RestartSeconds))
            throw new ArgumentException($"Restart time must be >= 0 s (got {request.RestartSeconds}).");
        if (!(request.BandwidthMbps > 0) || double.IsInfinity(request.BandwidthMbps))
            throw new ArgumentException($"Bandwidth must be a positive number of Mbit/s (got {request.BandwidthMbps}).");

        var clouds = new List<SimCloud>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in request.Clouds)
        {
            if (trace.IndexOf(spec.Zone) < 0)
                throw new ArgumentException($"Zone '{spec.Zone}' is not in the trace (zones: {string.Join(", ", trace.Zones)}).");
            if (spec.ThresholdGPerKwh is { } t && (t < 0 || !double.IsFinite(t)))
                throw new ArgumentException($"Threshold of {spec.Zone} must be >= 0 gCO2/kWh (got {t}).");
            if (!(spec.Pue >= 1) || double.IsInfinity(spec.Pue))
                throw new ArgumentException($"PUE of {spec.Id ?? spec.Zone} must be >= 1 (got {spec.Pue}).");
            var cloud = new SimCloud(spec.Zone.ToUpperInvariant(), spec.ThresholdGPerKwh ?? DefaultThreshold(trace, spec.Zone), spec.Pue, spec.Id);
            if (!ids.Add(cloud.CloudId))
                throw new ArgumentException($"Cloud '{cloud.CloudId}' is named twice.");
            clouds.Add(cloud);
        }

        var job = new SimJob
        {
            LengthHours = request.JobHours,
            PowerKw = request.PowerKw,
            CheckpointBytes = (long)Math.Round(request.CheckpointMb * 1_000_000),
            RestartSeconds = request.RestartSeconds,
            BandwidthBytesPerSecond = request.BandwidthMbps * 1_000_000 / 8,
        };
        var options = new SimulationOptions
        {
            GreenConsole = request.Policy,
            StartCloudIndices = request.StartOnEveryCloud ? Enumerable.Range(0, clouds.Count).ToArray() : [0],
        };
        var starts = SimulationInput.AllStartHours(trace, job, options);
        if (starts.Length == 0)
            throw new ArgumentException(
                $"The window has {trace.Hours} hour(s); a {request.JobHours} h job needs {SimulationInput.DeadlineHoursFor(job, options)} (its time-shift deadline). Widen --from/--to or shorten the job.");
        return new SimulationInput { Clouds = clouds, Job = job, Trace = trace, StartHours = starts, Options = options };
    }
}
