using GreenConsole.Core.Migration;

namespace GreenConsole.Core.Simulation;

/// <summary>
/// Everything the per-job loops need, precomputed once per run: per cloud and hour, the grams of one hour of
/// running and of one hour of idling (both with PUE), the downtime of every move, and prefix sums for stay.
/// </summary>
internal sealed class SimModel
{
    private SimModel(SimulationInput input)
    {
        var clouds = input.Clouds;
        var job = input.Job;
        var trace = input.Trace;
        var options = input.Options;
        N = clouds.Count;
        L = job.LengthHours;
        Hours = trace.Hours;
        TraceStart = trace.Start;
        Job = job;
        Ids = new string[N];
        IdIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        Ci = new double[N][];
        Run = new double[N][];
        Idle = new double[N][];
        Prefix = new double[N][];
        Threshold = new double[N];
        Pue = new double[N];
        for (var c = 0; c < N; c++)
        {
            var cloud = clouds[c];
            var z = trace.IndexOf(cloud.Zone);
            Ids[c] = cloud.CloudId;
            IdIndex[cloud.CloudId] = c;
            Ci[c] = trace.Intensity[z];
            Threshold[c] = cloud.ThresholdGPerKwh;
            Pue[c] = cloud.Pue;
            var run = new double[Hours];
            var idle = new double[Hours];
            var prefix = new double[Hours + 1];
            for (var t = 0; t < Hours; t++)
            {
                run[t] = MigrationCostModel.RunGrams(job.PowerKw, 1.0, cloud.Pue, Ci[c][t]);
                idle[t] = MigrationCostModel.RunGrams(job.IdleKw, 1.0, cloud.Pue, Ci[c][t]);
                prefix[t + 1] = prefix[t] + run[t];
            }

            Run[c] = run;
            Idle[c] = idle;
            Prefix[c] = prefix;
        }

        DowntimeHours = new double[N * N];
        Dictionary<CloudPair, double>? measured = job.BandwidthMatrix is null ? null : new();
        for (var a = 0; a < N; a++)
            for (var b = 0; b < N; b++)
            {
                if (a == b)
                    continue;
                var bw = job.BandwidthMatrix?[a, b] ?? job.BandwidthBytesPerSecond;
                DowntimeHours[a * N + b] = MigrationCostModel.DowntimeHours(job.CheckpointBytes, bw, job.RestartSeconds);
                measured?.Add(new CloudPair(Ids[a], Ids[b]), bw);
            }

        MeasuredBandwidth = measured;
        UniformDowntimeHours = job.BandwidthMatrix is null
            ? MigrationCostModel.DowntimeHours(job.CheckpointBytes, job.BandwidthBytesPerSecond, job.RestartSeconds)
            : null;
        RestartHours = job.RestartSeconds / 3600.0;
        DeadlineHours = SimulationInput.DeadlineHours(job, options);

        var g = options.GreenConsole;
        PolicyOptions = new MigrationPolicyOptions
        {
            MinimumDwell = g.MinimumDwell,
            HysteresisGPerKwh = g.HysteresisGPerKwh,
            NoCandidateMode = NoCandidateMode.KeepRunning,
            MinimumNetSavingGrams = g.MinimumNetSavingGrams,
            PlanningHorizon = g.PlanningHorizon,
            DefaultBandwidthBytesPerSecond = job.BandwidthBytesPerSecond,
            IdlePowerFraction = g.IdlePowerFraction,
        };
        ForecastHours = options.GreenConsoleForecastHours;
        Clouds = clouds;
    }

    public int N { get; }
    public int L { get; }
    public int Hours { get; }
    public DateTimeOffset TraceStart { get; }
    public SimJob Job { get; }
    public string[] Ids { get; }
    public Dictionary<string, int> IdIndex { get; }
    public double[][] Ci { get; }
    public double[][] Run { get; }
    public double[][] Idle { get; }
    public double[][] Prefix { get; }
    public double[] Threshold { get; }
    public double[] Pue { get; }

    /// <summary>Downtime of a move a→b in hours at index a × N + b.</summary>
    public double[] DowntimeHours { get; }

    /// <summary>The downtime of every move when one bandwidth applies to all pairs; null with a bandwidth matrix.</summary>
    public double? UniformDowntimeHours { get; }

    public double RestartHours { get; }
    public int DeadlineHours { get; }
    public IReadOnlyDictionary<CloudPair, double>? MeasuredBandwidth { get; }
    public MigrationPolicyOptions PolicyOptions { get; }
    public int ForecastHours { get; }
    public IReadOnlyList<SimCloud> Clouds { get; }

    private CloudState[][]? _states;
    private int _statesFrom;

    public static SimModel Build(SimulationInput input)
    {
        Validate(input);
        return new SimModel(input);
    }

    public DateTimeOffset TimeOf(int hour) => TraceStart + TimeSpan.FromHours(hour);

    /// <summary>Grams of a move a→b at the start of hour t (see <see cref="MigrationCostModel.OverheadGrams"/>).</summary>
    public double Overhead(int a, int b, int t) => DowntimeHours[a * N + b] * (Idle[a][t] + Idle[b][t]);

    /// <summary>Builds the per-hour cloud states greenconsole sees, shared by every job (read-only afterwards).</summary>
    public void PrepareStates(int fromHour, int toHourExclusive)
    {
        _statesFrom = fromHour;
        var states = new CloudState[Math.Max(0, toHourExclusive - fromHour)][];
        for (var i = 0; i < states.Length; i++)
        {
            var t = fromHour + i;
            var row = new CloudState[N];
            for (var c = 0; c < N; c++)
            {
                var cloud = Clouds[c];
                var count = Math.Min(ForecastHours, Hours - t - 1);
                row[c] = new CloudState
                {
                    CloudId = Ids[c],
                    Zone = cloud.Zone,
                    IntensityGPerKwh = Ci[c][t],
                    ThresholdGPerKwh = cloud.ThresholdGPerKwh,
                    Pue = cloud.Pue,
                    Forecast = count > 0 ? new TraceForecastView(Ci[c], t + 1, count, TraceStart) : null,
                };
            }

            states[i] = row;
        }

        _states = states;
    }

    public CloudState[] StatesAt(int t) => _states![t - _statesFrom];

    private static void Validate(SimulationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var clouds = input.Clouds ?? throw new ArgumentException("Simulation has no cloud list.", nameof(input));
        var job = input.Job ?? throw new ArgumentException("Simulation has no job.", nameof(input));
        var trace = input.Trace ?? throw new ArgumentException("Simulation has no trace.", nameof(input));
        var options = input.Options ?? throw new ArgumentException("Simulation has no options.", nameof(input));
        if (clouds.Count == 0)
            throw new ArgumentException("Simulation needs at least one cloud.", nameof(input));
        if (clouds.Count > short.MaxValue)
            throw new ArgumentException($"Simulation supports at most {short.MaxValue} clouds.", nameof(input));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < clouds.Count; i++)
        {
            var c = clouds[i];
            if (trace.IndexOf(c.Zone) < 0)
                throw new ArgumentException($"Cloud {i} ('{c.CloudId}'): zone '{c.Zone}' is not in the trace.", nameof(input));
            if (!seen.Add(c.CloudId))
                throw new ArgumentException($"Cloud {i}: id '{c.CloudId}' appears twice.", nameof(input));
            if (!double.IsFinite(c.ThresholdGPerKwh) || c.ThresholdGPerKwh < 0)
                throw new ArgumentException($"Cloud '{c.CloudId}': threshold {c.ThresholdGPerKwh} must be a finite number >= 0.", nameof(input));
            if (!double.IsFinite(c.Pue) || c.Pue < 1)
                throw new ArgumentException($"Cloud '{c.CloudId}': PUE {c.Pue} must be a finite number >= 1.", nameof(input));
        }

        if (job.LengthHours < 1)
            throw new ArgumentException($"Job {nameof(job.LengthHours)} must be >= 1 (was {job.LengthHours}).", nameof(input));
        if (!double.IsFinite(job.PowerKw) || job.PowerKw < 0)
            throw new ArgumentException($"Job {nameof(job.PowerKw)} must be a finite number >= 0 (was {job.PowerKw}).", nameof(input));
        if (!double.IsFinite(job.IdleKw) || job.IdleKw < 0)
            throw new ArgumentException($"Job {nameof(job.IdlePowerKw)} must be a finite number >= 0 (was {job.IdleKw}).", nameof(input));
        if (job.CheckpointBytes < 0)
            throw new ArgumentException($"Job {nameof(job.CheckpointBytes)} must be >= 0 (was {job.CheckpointBytes}).", nameof(input));
        if (!double.IsFinite(job.RestartSeconds) || job.RestartSeconds < 0)
            throw new ArgumentException($"Job {nameof(job.RestartSeconds)} must be a finite number >= 0 (was {job.RestartSeconds}).", nameof(input));
        if (!double.IsFinite(job.BandwidthBytesPerSecond) || job.BandwidthBytesPerSecond <= 0)
            throw new ArgumentException($"Job {nameof(job.BandwidthBytesPerSecond)} must be a positive number (was {job.BandwidthBytesPerSecond}).", nameof(input));
        if (job.BandwidthMatrix is { } m)
        {
            if (m.GetLength(0) != clouds.Count || m.GetLength(1) != clouds.Count)
                throw new ArgumentException($"Job {nameof(job.BandwidthMatrix)} must be {clouds.Count}x{clouds.Count}.", nameof(input));
            for (var a = 0; a < clouds.Count; a++)
                for (var b = 0; b < clouds.Count; b++)
                    if (a != b && (!double.IsFinite(m[a, b]) || m[a, b] <= 0))
                        throw new ArgumentException($"Job {nameof(job.BandwidthMatrix)}[{a},{b}] must be a positive number (was {m[a, b]}).", nameof(input));
        }

        if (!(options.TimeShiftDeadlineFactor >= 1) || !double.IsFinite(options.TimeShiftDeadlineFactor))
            throw new ArgumentException($"Simulation {nameof(options.TimeShiftDeadlineFactor)} must be >= 1 (was {options.TimeShiftDeadlineFactor}).", nameof(input));
        if (options.GreenConsoleForecastHours < 0)
            throw new ArgumentException($"Simulation {nameof(options.GreenConsoleForecastHours)} must be >= 0.", nameof(input));
        if (options.StartCloudIndices is null || options.StartCloudIndices.Count == 0)
            throw new ArgumentException($"Simulation {nameof(options.StartCloudIndices)} must name at least one cloud.", nameof(input));
        foreach (var i in options.StartCloudIndices)
            if (i < 0 || i >= clouds.Count)
                throw new ArgumentException($"Simulation {nameof(options.StartCloudIndices)}: {i} is not a cloud index (0..{clouds.Count - 1}).", nameof(input));
        options.GreenConsole.Validate();

        var span = SimulationInput.Span(job, options);
        if (input.StartHours is null)
            throw new ArgumentException("Simulation has no start hours.", nameof(input));
        for (var i = 0; i < input.StartHours.Count; i++)
        {
            var s = input.StartHours[i];
            if (s < 0 || s + span > trace.Hours)
                throw new ArgumentException(
                    $"Start hour {s} (index {i}) leaves no room for {span} h within the trace's {trace.Hours} h.", nameof(input));
        }
    }
}

/// <summary>A zero-copy forecast over a trace row: point i is hour <c>first + i</c>.</summary>
internal sealed class TraceForecastView(double[] row, int first, int count, DateTimeOffset traceStart) : IReadOnlyList<IntensityPoint>
{
    public IntensityPoint this[int index] =>
        (uint)index < (uint)count
            ? new IntensityPoint(traceStart + TimeSpan.FromHours(first + index), row[first + index])
            : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => count;

    public IEnumerator<IntensityPoint> GetEnumerator()
    {
        for (var i = 0; i < count; i++)
            yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
