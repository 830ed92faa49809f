using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Components.Widgets;
using GreenConsole.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace GreenConsole.Web.Components.Pages;

public partial class Jobs
{
    // The report reads the database and the carbon providers: live, but at most every 10 s (or when the status changes).
    private static readonly TimeSpan CarbonRefresh = TimeSpan.FromSeconds(10);

    private IReadOnlyList<CloudSummary> clouds = [];
    private IReadOnlyList<JobSnapshot> jobs = [];
    private IReadOnlyList<JobSnapshot> shown = [];
    private JobsFilter filter = new(null, null);
    private JobSnapshot? selected;
    private ChartSpec lossChart = ChartSpec.Empty;
    private (string Id, long? Step)? charted;
    private JobCarbonSummary? carbon;
    private DateTimeOffset carbonAt;
    private string? carbonStatus;
    private int? startCloud;
    private int? migrateTarget;
    private int epochs = 6;
    private int stepDelayMs = 50;
    private bool busy;
    private IDisposable? selectedSubscription;

    [Parameter]
    public string? JobId { get; set; }

    /// <summary>/jobs?new (any value) opens the "New job" form; a string, so no query value can fail the page.</summary>
    [SupplyParameterFromQuery(Name = "new")]
    public string? NewJob { get; set; }

    [Inject]
    private JobStore Store { get; set; } = default!;

    [Inject]
    private JobService JobOps { get; set; } = default!;

    [Inject]
    private CloudRepository Clouds { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IOptions<JobsOptions> Options { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        clouds = await Clouds.ListAsync(PageToken);
        startCloud = clouds.FirstOrDefault()?.Id;
        Refresh();
        // The list needs every job's changes; the detail below subscribes to its own job only.
        Hold(Store.Changes.Subscribe(() => RenderLaterAsync(Refresh), TimeSpan.FromSeconds(1)));
        if (selected is not null)
        {
            await LoadCarbonAsync();
        }
    }

    protected override void OnParametersSet() => Refresh();

    private void Refresh()
    {
        jobs = Store.Jobs;
        shown = filter.Apply(jobs);
        var previous = selected?.Id;
        selected = JobId is null ? jobs.FirstOrDefault() : jobs.FirstOrDefault(j => j.Id == JobId);
        if (selected?.Id != previous)
        {
            SubscribeToSelected();
        }

        // The list refreshes for every job's change; the chart (a copy of up to 5,000 samples and one JS message) only
        // when the selected job has new steps.
        var key = selected is null ? ((string, long?)?)null : (selected.Id, selected.LastStep);
        if (key != charted)
        {
            charted = key;
            lossChart = selected is null ? ChartSpec.Empty : JobsView.LossChart(Store.Progress(selected.Id));
        }
    }

    private void SubscribeToSelected()
    {
        selectedSubscription?.Dispose();
        selectedSubscription = null;
        if (selected is not { } job)
        {
            return;
        }

        selectedSubscription = Store.Changes.Subscribe(job.Id, () => InvokeAsync(async () =>
        {
            Refresh();
            StateHasChanged();
            if (carbon is not null && selected is not null
                && (Time.GetUtcNow() - carbonAt >= CarbonRefresh || carbonStatus != selected.Status.ToString()))
            {
                await LoadCarbonAsync();
                StateHasChanged();
            }
        }));
        Hold(selectedSubscription);
    }

    private void FilterStatus(JobStatus? status)
    {
        filter = filter with { Status = status };
        shown = filter.Apply(jobs);
    }

    private void FilterCloud(int? cloudId)
    {
        filter = filter with { CloudId = cloudId };
        shown = filter.Apply(jobs);
    }

    private async Task SelectAsync(JobSnapshot job)
    {
        Navigation.NavigateTo($"/jobs/{job.Id}");
        JobId = job.Id;
        Refresh();
        carbon = null;
        await LoadCarbonAsync();
    }

    private async Task LoadCarbonAsync()
    {
        if (selected is null)
        {
            return;
        }

        try
        {
            carbonAt = Time.GetUtcNow();
            carbonStatus = selected.Status.ToString();
            carbon = await JobOps.CarbonReportAsync(selected.Id, PageToken);
        }
        catch (InvalidOperationException ex)
        {
            Snackbar.Add($"No carbon figures yet: {ex.Message}", Severity.Warning);
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            // The user left the page.
        }
    }

    private async Task StartAsync()
    {
        busy = true;
        try
        {
            var job = await JobOps.StartAsync(new JobStartRequest(startCloud!.Value, Epochs: epochs, StepDelayMs: stepDelayMs), PageToken);
            Snackbar.Add($"Job started: {job.Name} on {CloudName(job.CurrentCloudId)}", Severity.Success);
            await SelectAsync(job);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or RemoteShellException)
        {
            Snackbar.Add($"Could not start the job: {ex.Message}", Severity.Error);
        }
        finally
        {
            busy = false;
        }
    }

    private Task MigrateAsync(JobSnapshot job) => migrateTarget is { } target
        ? RunAsync(ct => JobOps.MigrateAsync(job.Id, target, ct), "Migration requested")
        : Task.CompletedTask;

    private async Task RunAsync(Func<CancellationToken, Task> action, string done)
    {
        try
        {
            await action(PageToken);
            Snackbar.Add(done, Severity.Info);
        }
        catch (Exception ex) when (ex is InvalidOperationException or RemoteShellException or TrainingJobException)
        {
            Snackbar.Add($"Not done: {ex.Message}", Severity.Error);
        }
    }

    private string CloudName(int id) => clouds.FirstOrDefault(c => c.Id == id)?.DisplayName ?? $"cloud {id}";
}

/// <summary>The Jobs page's filter: by status and by the cloud a job is on.</summary>
public sealed record JobsFilter(JobStatus? Status, int? CloudId)
{
    public IReadOnlyList<JobSnapshot> Apply(IReadOnlyList<JobSnapshot> jobs) =>
        [.. jobs.Where(j => (Status is null || j.Status == Status) && (CloudId is null || j.CurrentCloudId == CloudId))];
}

/// <summary>Which actions a job's status allows (from <see cref="JobLifecycle"/>, never listed in the page).</summary>
public sealed record JobActions(bool Migrate, bool Pause, bool Resume, bool Cancel);

/// <summary>What the Jobs page shows, free of Blazor so tests reach it directly.</summary>
public static class JobsView
{
    public const string PausingText = "Pausing at the next mini-batch";
    public const string ResumingText = "Resuming from the checkpoint";
    public const string CancellingText = "Cancelling";

    public static JobActions Actions(JobStatus status) =>
        new(JobLifecycle.CanMigrate(status), JobLifecycle.CanPause(status), JobLifecycle.CanResume(status), JobLifecycle.CanCancel(status));

    /// <summary>Why a job never moves, for the job page; null for jobs that can.</summary>
    public static string? WhyNotMoved(JobSnapshot j) =>
        GreenConsole.Core.Jobs.Definitions.JobModes.TryParse(j.Mode, out var mode) ? GreenConsole.Core.Jobs.Definitions.JobModes.WhyNotMigratable(mode) : null;

    public static double Percent(JobSnapshot j) => j.TotalSteps is > 0 && j.LastStep is { } s ? Math.Min(100, 100.0 * s / j.TotalSteps.Value) : 0;

    public static string Statement(JobDecisionView decision, MigrationPolicyOptions policy) => DecisionStatement.Of(decision.Decision, policy);

    /// <summary>Loss by step, thinned to about 300 points so the chart stays light whatever the job's length.</summary>
    public static ChartSpec LossChart(IReadOnlyList<JobProgressSample> progress)
    {
        var withLoss = progress.Where(p => p.Loss is not null).ToList();
        var stride = Math.Max(1, withLoss.Count / 300);
        var points = withLoss.Where((_, i) => i % stride == 0 || i == withLoss.Count - 1).Select(p => ((double)p.Step, p.Loss!.Value)).ToList();
        return ChartSpec.FromXY(new ChartSeriesSpec("loss"), points, "loss", "step");
    }
}
