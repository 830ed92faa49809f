namespace GreenConsole.Core.Jobs;

/// <summary>What asked for a status change; it goes into the change's event.</summary>
public enum JobChangeCause
{
    /// <summary>A person, through the page, the API or the CLI.</summary>
    Manual,

    /// <summary>What the training process on the cloud reported.</summary>
    Cloud,

    /// <summary>The migration policy (a move or a time shift).</summary>
    Policy,

    /// <summary>The end of a migration.</summary>
    Migration,
}

/// <summary>A status change: the status it leads to and the job event that records it.</summary>
public sealed record JobTransition(string JobId, JobStatus From, JobStatus To, JobChangeCause Cause, DateTimeOffset At)
{
    public const string EventKind = "Job";

    /// <summary>Final statuses stamp the job's end.</summary>
    public bool Ends => JobLifecycle.IsFinal(To);

    public string Message => $"Job {JobId}: {From} -> {To}" + (Cause == JobChangeCause.Manual ? " (manual)" : "");
}

/// <summary>
/// Every rule about job statuses, and the only place that lists them: which statuses hold a cloud, train, can move,
/// pause, resume or cancel, and what each event leads to. Every status change goes through one of the transition
/// methods, which refuse a change the rules do not allow, naming the job and its status.
/// </summary>
public static class JobLifecycle
{
    /// <summary>The job occupies its cloud (a new job or a move must not land there).</summary>
    public static bool HoldsCloud(JobStatus status) =>
        status is JobStatus.Running or JobStatus.Migrating or JobStatus.Pausing or JobStatus.Cancelling or JobStatus.Shifting or JobStatus.Waiting;

    /// <summary>The controller polls it on its cloud (a migration owns a Migrating job instead).</summary>
    public static bool IsPolled(JobStatus status) => HoldsCloud(status) && status != JobStatus.Migrating;

    /// <summary>Training (or finishing its current mini-batch) on its cloud: what the carbon report charges run time for.</summary>
    public static bool Trains(JobStatus status) =>
        status is JobStatus.Running or JobStatus.Migrating or JobStatus.Pausing or JobStatus.Cancelling or JobStatus.Shifting;

    /// <summary>Nothing will change it again.</summary>
    public static bool IsFinal(JobStatus status) => status is JobStatus.Cancelled or JobStatus.Finished or JobStatus.Failed;

    /// <summary>Drawn on the map as a job at its cloud.</summary>
    public static bool IsShownOnMap(JobStatus status) => status is JobStatus.Running or JobStatus.Migrating;

    public static bool CanMigrate(JobStatus status) => status is JobStatus.Running or JobStatus.Waiting;

    public static bool CanPause(JobStatus status) => status is JobStatus.Running or JobStatus.Pausing or JobStatus.Shifting or JobStatus.Waiting;

    public static bool CanResume(JobStatus status) => status is JobStatus.Paused or JobStatus.Waiting;

    public static bool CanCancel(JobStatus status) =>
        status is JobStatus.Running or JobStatus.Pausing or JobStatus.Shifting or JobStatus.Paused or JobStatus.Waiting;

    /// <summary>Whether a pause or cancel has to ask the training process to stop (else the change is immediate).</summary>
    public static bool StopNeedsTheCloud(JobStatus status) => status is JobStatus.Running or JobStatus.Pausing or JobStatus.Shifting;

    /// <summary>A person pauses: a job that trains is asked to stop (Pausing); one the policy holds is taken over (Paused).</summary>
    public static JobTransition Pause(string jobId, JobStatus from, DateTimeOffset at)
    {
        Require(CanPause(from), jobId, from, "paused only while running or waiting");
        return new(jobId, from, StopNeedsTheCloud(from) ? JobStatus.Pausing : JobStatus.Paused, JobChangeCause.Manual, at);
    }

    /// <summary>A person cancels: a job that trains is asked to stop (Cancelling); a stopped one ends at once.</summary>
    public static JobTransition Cancel(string jobId, JobStatus from, DateTimeOffset at)
    {
        Require(CanCancel(from), jobId, from, "cancelled only while running, paused or waiting");
        return new(jobId, from, StopNeedsTheCloud(from) ? JobStatus.Cancelling : JobStatus.Cancelled, JobChangeCause.Manual, at);
    }

    /// <summary>A paused job, or one waiting out a dirty grid, trains again (by a person or the policy).</summary>
    public static JobTransition Resume(string jobId, JobStatus from, JobChangeCause cause, DateTimeOffset at)
    {
        Require(CanResume(from), jobId, from, "resumed only when paused or waiting");
        return new(jobId, from, JobStatus.Running, cause, at);
    }

    public static JobTransition RequestMigration(string jobId, JobStatus from, JobChangeCause cause, DateTimeOffset at)
    {
        Require(CanMigrate(from), jobId, from, "moved only while running or waiting");
        return new(jobId, from, JobStatus.Migrating, cause, at);
    }

    /// <summary>The policy asks a running job to checkpoint and wait where it is.</summary>
    public static JobTransition Shift(string jobId, JobStatus from, DateTimeOffset at)
    {
        Require(from == JobStatus.Running, jobId, from, "time-shifted only while running");
        return new(jobId, from, JobStatus.Shifting, JobChangeCause.Policy, at);
    }

    /// <summary>The stop request never reached the cloud: the job keeps training.</summary>
    public static JobTransition ShiftFailed(string jobId, DateTimeOffset at) => new(jobId, JobStatus.Shifting, JobStatus.Running, JobChangeCause.Policy, at);

    /// <summary>A person's pause or cancel never reached the cloud: the job goes back to the status it had.</summary>
    public static JobTransition StopNotDelivered(JobTransition asked, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(asked);
        return new(asked.JobId, asked.To, asked.From, asked.Cause, at);
    }

    /// <summary>The training process stopped at a mini-batch boundary after a stop request.</summary>
    public static JobTransition StoppedOnCloud(string jobId, JobStatus from, DateTimeOffset at) => new(jobId, from, from switch
    {
        JobStatus.Cancelling => JobStatus.Cancelled,
        JobStatus.Shifting => JobStatus.Waiting,
        _ => JobStatus.Paused,
    }, JobChangeCause.Cloud, at);

    public static JobTransition FinishedOnCloud(string jobId, JobStatus from, DateTimeOffset at) => new(jobId, from, JobStatus.Finished, JobChangeCause.Cloud, at);

    public static JobTransition FailedOnCloud(string jobId, JobStatus from, DateTimeOffset at) => new(jobId, from, JobStatus.Failed, JobChangeCause.Cloud, at);

    /// <summary>The process ended without a checkpoint: what a cancel asked for, a failure otherwise.</summary>
    public static JobTransition ExitedOnCloud(string jobId, JobStatus from, DateTimeOffset at) =>
        new(jobId, from, from == JobStatus.Cancelling ? JobStatus.Cancelled : JobStatus.Failed, JobChangeCause.Cloud, at);

    /// <summary>
    /// A command-mode job is held in place (its process group stopped): a person's hold is a pause, the policy's a wait.
    /// The process keeps its memory, so nothing is checkpointed and nothing is lost.
    /// </summary>
    public static JobTransition Hold(string jobId, JobStatus from, JobChangeCause cause, DateTimeOffset at)
    {
        Require(from == JobStatus.Running, jobId, from, "held in place only while running");
        return new(jobId, from, cause == JobChangeCause.Policy ? JobStatus.Waiting : JobStatus.Paused, cause, at);
    }

    /// <summary>
    /// A migration ended: on the target the job trains there; back on the source it trains on (or finished there
    /// meanwhile); anything else failed it.
    /// </summary>
    public static JobTransition MigrationEnded(string jobId, JobStatus from, bool onTarget, bool onSource, bool finishedOnSource, DateTimeOffset at) =>
        new(jobId, from, onTarget ? JobStatus.Running : onSource ? (finishedOnSource ? JobStatus.Finished : JobStatus.Running) : JobStatus.Failed,
            JobChangeCause.Migration, at);

    private static void Require(bool allowed, string jobId, JobStatus from, string rule)
    {
        if (!allowed)
        {
            throw new InvalidOperationException($"Job '{jobId}' is {from}; it can be {rule}.");
        }
    }
}
