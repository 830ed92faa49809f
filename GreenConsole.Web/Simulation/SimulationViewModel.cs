using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Web.Simulation;

/// <summary>One policy's row on the /simulate page.</summary>
public sealed record SimulationRow(string Policy, double TotalKg, double MeanGramsPerJob, double SavingPct, double? ShareOfOraclePct, double MovesPerJob, double AddedHoursPerJob);

/// <summary>
/// State and actions of the /simulate page, free of Blazor so it can be tested directly: form fields, the trace
/// source (shipped file or an upload parsed in memory), run with progress and cancel, result rows.
/// </summary>
public sealed class SimulationViewModel(
    Func<TraceSignal, CancellationToken, Task<CarbonTrace>> loadShipped,
    Func<CancellationToken, Task<IReadOnlyList<SimCloudSpec>>> registeredClouds,
    MigrationPolicyOptions policy)
{
    private CancellationTokenSource? _run;
    private double _progress;

    /// <summary>Raised when progress, results or errors change (from any thread; the page marshals it).</summary>
    public event Action? Changed;

    public IReadOnlyList<string> AvailableZones { get; private set; } = [];
    public IReadOnlyList<string> SelectedZones { get; set; } = ["KR", "DE", "GB"];
    public bool UseRegisteredClouds { get; set; }
    public int JobHours { get; set; } = 6;
    public double PowerKw { get; set; } = 0.4;
    public double CheckpointMb { get; set; } = 100;
    public double RestartSeconds { get; set; } = 30;
    public double BandwidthMbps { get; set; } = 50;
    public bool StartOnEveryCloud { get; set; }
    public TraceSignal Signal { get; set; } = TraceSignal.LifeCycle;
    public DateTime? From { get; set; } = new(2023, 1, 1);

    /// <summary>Last day of the window, inclusive.</summary>
    public DateTime? To { get; set; } = new(2023, 12, 31);

    public CarbonTrace? UploadedTrace { get; private set; }
    public string? UploadedName { get; private set; }

    /// <summary>0..1 while a run is going.</summary>
    public double Progress => Volatile.Read(ref _progress);

    public bool IsRunning => _run is not null;
    public string? Error { get; private set; }
    public string? Status { get; private set; }
    public SimulationResult? Result { get; private set; }
    public IReadOnlyList<SimulationRow> Rows { get; private set; } = [];
    public IReadOnlyList<SimCloud> UsedClouds { get; private set; } = [];

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var trace = await loadShipped(Signal, cancellationToken).ConfigureAwait(false);
        AvailableZones = trace.Zones.ToArray();
    }

    /// <summary>Parses an upload in memory. On any error it keeps nothing and says which line is wrong.</summary>
    public async Task<bool> UploadAsync(Stream content, string name, CancellationToken cancellationToken)
    {
        try
        {
            // An upload comes from whoever reaches the page, so it is read under the upload caps, not the shipped file's.
            var trace = await TraceInput.ReadAsync(content, name, TraceInput.UploadOptions(Signal), cancellationToken).ConfigureAwait(false);
            UploadedTrace = trace;
            UploadedName = name;
            AvailableZones = trace.Zones.ToArray();
            SelectedZones = trace.Zones.Take(5).ToArray();
            From = trace.Start.UtcDateTime.Date;
            To = trace.Start.AddHours(trace.Hours - 1).UtcDateTime.Date;
            Error = null;
            Status = $"{name}: {trace.Zones.Count} zones, {trace.Hours} hours from {trace.Start:yyyy-MM-dd HH:mm}Z.";
            return true;
        }
        catch (Exception e) when (e is TraceFormatException or IOException or ArgumentException)
        {
            Error = $"{name}: {e.Message}";
            return false;
        }
        finally
        {
            Changed?.Invoke();
        }
    }

    public async Task ClearUploadAsync(CancellationToken cancellationToken)
    {
        UploadedTrace = null;
        UploadedName = null;
        From = new DateTime(2023, 1, 1);
        To = new DateTime(2023, 12, 31);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Cancel() => _run?.Cancel();

    /// <summary>Runs the simulation; returns false (with <see cref="Error"/>) on bad input or cancel.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        if (_run is not null)
            return false;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _run = run;
        Error = null;
        Status = null;
        Volatile.Write(ref _progress, 0);
        Changed?.Invoke();
        try
        {
            var specs = UseRegisteredClouds
                ? await registeredClouds(run.Token).ConfigureAwait(false)
                : SelectedZones.Select(z => new SimCloudSpec(z)).ToList();
            if (specs.Count == 0)
                throw new ArgumentException(UseRegisteredClouds ? "No cloud is registered." : "Pick at least one zone.");
            var trace = UploadedTrace ?? await loadShipped(Signal, run.Token).ConfigureAwait(false);
            DateTimeOffset? from = From is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f.Date, DateTimeKind.Utc)) : null;
            DateTimeOffset? to = To is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t.Date, DateTimeKind.Utc)).AddDays(1) : null;
            var window = TraceWindow.Slice(trace, from, to);
            var input = SimulationSetup.Build(new SimulationRequest
            {
                Clouds = specs,
                JobHours = JobHours,
                PowerKw = PowerKw,
                CheckpointMb = CheckpointMb,
                RestartSeconds = RestartSeconds,
                BandwidthMbps = BandwidthMbps,
                StartOnEveryCloud = StartOnEveryCloud,
                Policy = policy,
            }, window);
            var progress = new Reporter(this);
            var result = await Task.Run(() => CarbonSimulator.Run(input, progress, run.Token), run.Token).ConfigureAwait(false);
            Result = result;
            UsedClouds = input.Clouds;
            Rows = ToRows(result);
            Status = $"{result.Jobs} jobs of {result.JobLengthHours} h over {window.Hours} hours from {window.Start:yyyy-MM-dd}.";
            return true;
        }
        catch (OperationCanceledException)
        {
            Error = "Cancelled.";
            return false;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or TraceFormatException)
        {
            Error = e.Message;
            return false;
        }
        finally
        {
            _run = null;
            Changed?.Invoke();
        }
    }

    public static IReadOnlyList<SimulationRow> ToRows(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = new List<SimulationRow>();
        foreach (var name in new[] { PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole, PolicyNames.Oracle, PolicyNames.TimeShift })
        {
            if (result[name] is { } p)
                rows.Add(new SimulationRow(name, p.TotalGco2 / 1000, p.MeanGco2PerJob, p.SavingVsStayPct ?? 0, p.ShareOfOracleSaving * 100, p.MigrationsPerJob, p.AddedRunTimeHoursPerJob));
        }

        return rows;
    }

    private sealed class Reporter(SimulationViewModel owner) : IProgress<double>
    {
        public void Report(double value)
        {
            Volatile.Write(ref owner._progress, value);
            owner.Changed?.Invoke();
        }
    }
}
