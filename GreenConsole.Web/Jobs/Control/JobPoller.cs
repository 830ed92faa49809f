using GreenConsole.Core.Remote;
using GreenConsole.Web.Data;

namespace GreenConsole.Web.Jobs.Control;

/// <summary>Reads a job's new progress and state from its cloud and records what it means for the job's status.</summary>
internal sealed class JobPoller(ITrainingAgent agent, JobRepository jobs, JobStore store, TimeProvider time, ILogger<JobPoller> logger)
{
    /// <summary>
    /// Polls a job that no migration owns and saves what changed. Null when the cloud cannot be reached, its answer is
    /// unusable, or someone changed the job since it was read (then this poll is dropped).
    /// </summary>
    public async Task<JobEntity?> PollAsync(JobEntity job, SshTarget target, CancellationToken ct)
    {
        TrainingPoll poll;
        try
        {
            poll = await agent.PollAsync(target, job.Id, job.ProgressOffset, ct).ConfigureAwait(false);
        }
        catch (RemoteShellException e)
        {
            // Not a job failure: the host may come back; the job keeps its status.
            logger.LogWarning("Cannot reach cloud {Cloud} to poll job {Job}: {Kind} {Error}", job.CurrentCloudId, job.Id, e.Kind, e.Message);
            return null;
        }
        catch (TrainingJobException e)
        {
            logger.LogWarning("Status of job {Job} on cloud {Cloud} failed: {Error}", job.Id, job.CurrentCloudId, e.Message);
            await RecordErrorAsync(job, e.Message, ct).ConfigureAwait(false);
            return null;
        }

        var now = time.GetUtcNow();
        JobProgress.Apply(job, poll, job.CurrentCloudId, store);
        var status = job.Status;
        var s = poll.Status;
        JobTransition? change = null;
        switch (poll.State)
        {
            case RemoteJobState.Done:
                change = JobLifecycle.FinishedOnCloud(job.Id, status, now);
                job.FinalWeightsSha256 = s.FinalWeightsSha256;
                break;
            case RemoteJobState.Stopped:
                job.LastCheckpointBytes = s.StoppedCheckpointBytes > 0 ? s.StoppedCheckpointBytes : job.LastCheckpointBytes;
                change = JobLifecycle.StoppedOnCloud(job.Id, status, now);
                break;
            case RemoteJobState.Exited:
            case RemoteJobState.NotStarted when !s.LauncherAlive:
                change = JobLifecycle.ExitedOnCloud(job.Id, status, now);
                job.LastError = change.To == JobStatus.Cancelled ? null
                    : job.Mode is null
                        ? $"The training process on cloud {job.CurrentCloudId} is gone without a stopped/done marker (crashed or killed); see train.log there."
                        : Definitions.JobSubmitter.ExitMessage(job.CurrentCloudId, s.Exit);
                break;
        }

        return await jobs.SavePollAsync(job, status, change, ct).ConfigureAwait(false) ? job : null;
    }

    /// <summary>Shows a problem on the job; a database that refuses the write is logged, never thrown into the loop.</summary>
    public async Task RecordErrorAsync(JobEntity job, string error, CancellationToken ct)
    {
        try
        {
            await jobs.RecordErrorAsync(job, error, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.EntityFrameworkCore.DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            logger.LogError(e, "Could not record the error of job {Job}", job.Id);
        }
    }
}
