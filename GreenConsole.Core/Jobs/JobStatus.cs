namespace GreenConsole.Core.Jobs;

/// <summary>Lifecycle of a training job as the controller tracks it. The rules between these live in <see cref="JobLifecycle"/>.</summary>
public enum JobStatus
{
    Running,
    Migrating,
    Pausing,
    Paused,
    Cancelling,
    Cancelled,
    Finished,
    Failed,

    /// <summary>The policy asked the job to checkpoint and stop because no cloud is clean enough (time shifting).</summary>
    Shifting,

    /// <summary>Stopped by the policy; the controller resumes it (or moves it) once the policy says so.</summary>
    Waiting,
}
