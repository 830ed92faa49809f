using System.Collections.Concurrent;
using GreenConsole.Core.Migration;
using GreenConsole.Web.Data;
using GreenConsole.Web.Live;

namespace GreenConsole.Web.Jobs;

/// <summary>A job as pages show it.</summary>
public sealed record JobSnapshot(
    string Id,
    string Name,
    JobStatus Status,
    int FirstCloudId,
    int CurrentCloudId,
    string TrainerArguments,
    long? LastStep,
    long? TotalSteps,
    int? LastEpoch,
    double? LastLoss,
    double TrainingSeconds,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? FinalWeightsSha256,
    string? LastError,
    string? ActiveMigrationStep,
    string? Mode = null)
{
    /// <summary>"reference" for the shipped trainer, else the researcher's job's mode (protocol, own-checkpoint, command).</summary>
    public string ModeName => Mode ?? "reference";

    internal static JobSnapshot From(JobEntity j, string? activeStep = null) => new(
        j.Id, j.Name, j.Status, j.FirstCloudId, j.CurrentCloudId, j.TrainerArguments, j.LastStep, j.TotalSteps, j.LastEpoch, j.LastLoss,
        j.TrainingSeconds, j.CreatedAt, j.StartedAt, j.FinishedAt, j.FinalWeightsSha256, j.LastError, activeStep, j.Mode);
}

/// <summary>One progress point of a job (for the loss chart).</summary>
public sealed record JobProgressSample(string JobId, long Step, int? Epoch, double? Loss, DateTimeOffset At, int CloudId);

/// <summary>One entry of the live event log (migration transitions, decisions, job notes).</summary>
public sealed record JobEventView(string JobId, Guid? MigrationId, string Kind, DateTimeOffset At, string? FromStep, string? ToStep, double? DurationMs, string Message);

/// <summary>The latest policy decision for a job, with its explanation and the full decision (inputs and candidates).</summary>
public sealed record JobDecisionView(string JobId, DateTimeOffset At, MigrationAction Action, MigrationReason Reason, string? TargetCloudId, string Explanation, MigrationDecision Decision);

/// <summary>
/// Live, in-memory state of the jobs for pages: written by the controller and <see cref="JobService"/>, read by
/// components that subscribe to <see cref="Changes"/>. The database stays the source of truth.
/// </summary>
public sealed class JobStore(TimeProvider time)
{
    public const int MaxSamplesPerJob = 5000;
    public const int MaxEvents = 1000;

    private readonly ConcurrentDictionary<string, JobSnapshot> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<JobProgressSample>> _progress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobDecisionView> _decisions = new(StringComparer.Ordinal);
    private readonly LinkedList<JobEventView> _events = new();
    private readonly object _gate = new();

    public ChangeFeed Changes { get; } = new(time);

    public IReadOnlyList<JobSnapshot> Jobs => [.. _jobs.Values.OrderByDescending(j => j.CreatedAt)];

    public JobSnapshot? Get(string jobId) => _jobs.GetValueOrDefault(jobId);

    public IReadOnlyList<JobProgressSample> Progress(string jobId)
    {
        if (!_progress.TryGetValue(jobId, out var list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    /// <summary>Newest last.</summary>
    public IReadOnlyList<JobEventView> Events(string? jobId = null)
    {
        lock (_gate)
        {
            return [.. _events.Where(e => jobId is null || e.JobId == jobId)];
        }
    }

    public IReadOnlyList<JobDecisionView> Decisions => [.. _decisions.Values];

    public JobDecisionView? Decision(string jobId) => _decisions.GetValueOrDefault(jobId);

    public void Upsert(JobSnapshot job)
    {
        _jobs[job.Id] = job;
        Changes.NotifyChanged(job.Id);
    }

    public void AddProgress(IEnumerable<JobProgressSample> samples)
    {
        string? key = null;
        var any = false;
        foreach (var s in samples)
        {
            // One job's samples wake that job's pages; a batch of several jobs wakes everyone.
            key = !any || key == s.JobId ? s.JobId : null;
            var list = _progress.GetOrAdd(s.JobId, _ => []);
            lock (list)
            {
                list.Add(s);
                if (list.Count > MaxSamplesPerJob)
                {
                    list.RemoveRange(0, list.Count - MaxSamplesPerJob);
                }
            }

            any = true;
        }

        if (any)
        {
            Changes.NotifyChanged(key);
        }
    }

    public void AddEvent(JobEventView evt)
    {
        lock (_gate)
        {
            _events.AddLast(evt);
            while (_events.Count > MaxEvents)
            {
                _events.RemoveFirst();
            }
        }

        Changes.NotifyChanged(evt.JobId);
    }

    public void SetDecision(JobDecisionView decision)
    {
        _decisions[decision.JobId] = decision;
        Changes.NotifyChanged(decision.JobId);
    }
}

/// <summary>Lets <see cref="JobService"/> wake the controller at once after a manual operation.</summary>
public sealed class JobControllerSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one pending wake-up is enough.
        }
    }

    internal async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wait = _signal.WaitAsync(cts.Token);
        var delay = Task.Delay(timeout, time, cts.Token);
        await Task.WhenAny(wait, delay).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// Test seam: runs after a migration step has been persisted and before its action. Production leaves it empty;
/// the end-to-end tests use it to corrupt a checkpoint before Verifying or to stop the controller mid-Transferring.
/// </summary>
public sealed class MigrationHooks
{
    public Func<MigrationState, CancellationToken, Task>? BeforeStep { get; set; }
}
