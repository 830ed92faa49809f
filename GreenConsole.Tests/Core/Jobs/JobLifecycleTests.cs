namespace GreenConsole.Tests.Core.Jobs;

public sealed class JobLifecycleTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(JobStatus.Running, JobStatus.Pausing)]
    [InlineData(JobStatus.Shifting, JobStatus.Pausing)]
    [InlineData(JobStatus.Pausing, JobStatus.Pausing)]
    [InlineData(JobStatus.Waiting, JobStatus.Paused)]
    public void Pause_asks_a_training_job_to_stop_and_takes_a_waiting_one_over(JobStatus from, JobStatus to)
    {
        var change = JobLifecycle.Pause("j1", from, At);
        Assert.Equal(to, change.To);
        Assert.Equal(JobLifecycle.StopNeedsTheCloud(from), to == JobStatus.Pausing);
        Assert.Equal($"Job j1: {from} -> {to} (manual)", change.Message);
    }

    [Theory]
    [InlineData(JobStatus.Running, JobStatus.Cancelling, false)]
    [InlineData(JobStatus.Paused, JobStatus.Cancelled, true)]
    [InlineData(JobStatus.Waiting, JobStatus.Cancelled, true)]
    public void Cancel_ends_a_stopped_job_at_once(JobStatus from, JobStatus to, bool ends)
    {
        var change = JobLifecycle.Cancel("j1", from, At);
        Assert.Equal(to, change.To);
        Assert.Equal(ends, change.Ends);
    }

    [Theory]
    [InlineData(JobStatus.Finished)]
    [InlineData(JobStatus.Failed)]
    [InlineData(JobStatus.Cancelled)]
    [InlineData(JobStatus.Migrating)]
    public void A_job_that_cannot_change_is_refused_with_its_id_and_status(JobStatus from)
    {
        var pause = Assert.Throws<InvalidOperationException>(() => JobLifecycle.Pause("j9", from, At));
        Assert.Contains($"Job 'j9' is {from}", pause.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => JobLifecycle.Resume("j9", from, JobChangeCause.Manual, At));
        Assert.Throws<InvalidOperationException>(() => JobLifecycle.RequestMigration("j9", from, JobChangeCause.Policy, At));
    }

    [Theory]
    [InlineData(JobStatus.Cancelling, JobStatus.Cancelled)]
    [InlineData(JobStatus.Shifting, JobStatus.Waiting)]
    [InlineData(JobStatus.Pausing, JobStatus.Paused)]
    [InlineData(JobStatus.Running, JobStatus.Paused)]
    public void A_stop_on_the_cloud_leads_where_the_request_asked(JobStatus from, JobStatus to) =>
        Assert.Equal(to, JobLifecycle.StoppedOnCloud("j1", from, At).To);

    [Theory]
    [InlineData(true, false, false, JobStatus.Running)]
    [InlineData(false, true, false, JobStatus.Running)]
    [InlineData(false, true, true, JobStatus.Finished)]
    [InlineData(false, false, false, JobStatus.Failed)]
    public void A_migration_ends_on_the_target_back_on_the_source_or_failed(bool onTarget, bool onSource, bool finished, JobStatus to) =>
        Assert.Equal(to, JobLifecycle.MigrationEnded("j1", JobStatus.Migrating, onTarget, onSource, finished, At).To);

    [Fact]
    public void The_rules_agree_with_each_other_for_every_status()
    {
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            // A final job holds nothing and can do nothing; a job that trains holds its cloud.
            if (JobLifecycle.IsFinal(status))
            {
                Assert.False(JobLifecycle.HoldsCloud(status) || JobLifecycle.Trains(status) || JobLifecycle.CanPause(status)
                    || JobLifecycle.CanResume(status) || JobLifecycle.CanCancel(status) || JobLifecycle.CanMigrate(status), status.ToString());
            }

            if (JobLifecycle.Trains(status))
            {
                Assert.True(JobLifecycle.HoldsCloud(status), status.ToString());
            }

            Assert.Equal(JobLifecycle.HoldsCloud(status) && status != JobStatus.Migrating, JobLifecycle.IsPolled(status));
        }
    }
}
