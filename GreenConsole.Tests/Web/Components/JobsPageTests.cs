using Bunit;
using GreenConsole.Web.Components.Pages;
using JobsPage = GreenConsole.Web.Components.Pages.Jobs;
using GreenConsole.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Components;

public sealed class JobsPageTests : MudTestContext
{
    private readonly string _folder;

    public JobsPageTests()
    {
        _folder = this.AddRealJobServices();
        Authorization.SetAuthorized("researcher1");
    }

    private JobStore Store => Services.GetRequiredService<JobStore>();

    private static JobSnapshot Job(string id, JobStatus status, long step = 10, int cloud = 1) => new(
        id, "job " + id, status, cloud, cloud, "--epochs 3", step, 100, 1, 0.5, 12, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, null, null);

    [Theory]
    [InlineData(JobStatus.Running)]
    [InlineData(JobStatus.Pausing)]
    [InlineData(JobStatus.Paused)]
    [InlineData(JobStatus.Waiting)]
    [InlineData(JobStatus.Migrating)]
    [InlineData(JobStatus.Cancelling)]
    [InlineData(JobStatus.Finished)]
    [InlineData(JobStatus.Failed)]
    public async Task Buttons_follow_the_job_lifecycle_for_each_status(JobStatus status)
    {
        await this.MigrateAsync();
        Store.Upsert(Job("job-a", status));

        var cut = RenderWithProviders<JobsPage>(p => p.Add(x => x.JobId, "job-a"));

        var detail = cut.WaitForElement("#job-detail");
        Assert.Equal("job-a", detail.GetAttribute("data-job-id"));
        Assert.Equal(!JobLifecycle.CanPause(status), cut.Find("#pause-job").HasAttribute("disabled"));
        Assert.Equal(!JobLifecycle.CanResume(status), cut.Find("#resume-job").HasAttribute("disabled"));
        Assert.Equal(!JobLifecycle.CanCancel(status), cut.Find("#cancel-job").HasAttribute("disabled"));
        // Without a chosen target a move is never offered, whatever the status.
        Assert.True(cut.Find("#migrate-now").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_live_update_arrives_through_the_throttled_feed_and_disposal_unsubscribes()
    {
        await this.MigrateAsync();
        Store.Upsert(Job("job-b", JobStatus.Running, step: 5));
        var before = Store.Changes.SubscriberCount;

        var cut = RenderWithProviders<JobsPage>(p => p.Add(x => x.JobId, "job-b"));
        cut.WaitForAssertion(() => Assert.Equal("5", cut.Find("#job-detail").GetAttribute("data-step")));
        Assert.True(Store.Changes.SubscriberCount > before, "the page holds no subscription");

        Store.Upsert(Job("job-b", JobStatus.Running, step: 42));
        cut.WaitForAssertion(() => Assert.Equal("42", cut.Find("#job-detail").GetAttribute("data-step")), TimeSpan.FromSeconds(5));

        await DisposeComponentsAsync();
        Assert.Equal(before, Store.Changes.SubscriberCount);
    }

    [Fact]
    public async Task The_list_shows_every_job_with_a_link_to_its_clouds_telemetry()
    {
        await this.MigrateAsync();
        Store.Upsert(Job("job-c", JobStatus.Running, cloud: 7));
        Store.Upsert(Job("job-d", JobStatus.Finished, cloud: 8));

        var cut = RenderWithProviders<JobsPage>();

        cut.WaitForAssertion(() => Assert.Equal("2 of 2 jobs", cut.Find("#jobs-count").TextContent.Trim()));
        var links = cut.FindAll("#jobs-grid a[href^='/telemetry?cloud=']").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/telemetry?cloud=7", links);
        Assert.Contains("/telemetry?cloud=8", links);
    }

    [Theory]
    [InlineData(null, null, 3)]
    [InlineData(JobStatus.Running, null, 2)]
    [InlineData(JobStatus.Running, 2, 1)]
    [InlineData(JobStatus.Failed, null, 0)]
    public void The_filter_narrows_by_status_and_cloud(JobStatus? status, int? cloud, int expected)
    {
        IReadOnlyList<JobSnapshot> jobs = [Job("1", JobStatus.Running, cloud: 1), Job("2", JobStatus.Running, cloud: 2), Job("3", JobStatus.Paused, cloud: 2)];
        Assert.Equal(expected, new JobsFilter(status, cloud).Apply(jobs).Count);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
