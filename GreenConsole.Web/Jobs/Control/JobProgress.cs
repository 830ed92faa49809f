using GreenConsole.Web.Data;

namespace GreenConsole.Web.Jobs.Control;

/// <summary>How newly read progress lines update a job row and the live series (shared by the poller and the migration driver).</summary>
internal static class JobProgress
{
    public static void Apply(JobEntity job, TrainingPoll poll, int cloudId, JobStore store)
    {
        job.ProgressOffset = poll.NextOffset;
        job.TotalSteps = poll.Status.TotalSteps ?? job.TotalSteps;
        var samples = new List<JobProgressSample>();
        foreach (var line in poll.Lines)
        {
            if (!line.IsStep)
            {
                if (line.Event is "start" or "resume")
                {
                    // A new incarnation: the gap since the previous step line is not training time.
                    job.LastProgressAt = null;
                }

                continue;
            }

            if (job.LastProgressAt is { } previous && line.Timestamp > previous)
            {
                job.TrainingSeconds += (line.Timestamp - previous).TotalSeconds;
            }

            job.LastProgressAt = line.Timestamp;
            job.LastStep = line.Step;
            job.LastEpoch = line.Epoch;
            job.LastLoss = line.Loss;
            samples.Add(new JobProgressSample(job.Id, line.Step, line.Epoch, line.Loss, line.Timestamp, cloudId));
        }

        store.AddProgress(samples);
    }
}
