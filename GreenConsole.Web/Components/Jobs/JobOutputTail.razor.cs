using GreenConsole.Core.Remote;
using GreenConsole.Web.Jobs;
using Microsoft.AspNetCore.Components;

namespace GreenConsole.Web.Components.Jobs;

/// <summary>
/// The live tail of a researcher's job's stdout and stderr on its current cloud: read incrementally (only new bytes
/// travel), every few seconds while the job holds its cloud, and kept to the last <see cref="TailChars"/> characters.
/// </summary>
public partial class JobOutputTail
{
    public const int TailChars = 8192;
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(3);

    private readonly Tail stdout = new();
    private readonly Tail stderr = new();
    private string? problem;
    private string? shownJob;
    private ITimer? timer;

    [Parameter, EditorRequired]
    public string JobId { get; set; } = "";

    [Parameter]
    public JobStatus Status { get; set; }

    [Inject]
    private JobService Jobs { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (shownJob != JobId)
        {
            shownJob = JobId;
            stdout.Reset();
            stderr.Reset();
            await ReadAsync();
            timer?.Dispose();
            timer = Time.CreateTimer(_ => _ = RefreshAsync(), null, Every, Every);
            Hold(timer);
        }
    }

    private Task RefreshAsync() => !JobLifecycle.HoldsCloud(Status) || PageToken.IsCancellationRequested
        ? Task.CompletedTask
        : InvokeAsync(async () =>
        {
            await ReadAsync();
            StateHasChanged();
        });

    private async Task ReadAsync()
    {
        try
        {
            await stdout.ReadAsync(Jobs, JobId, Core.Jobs.JobOutputStream.Stdout, PageToken);
            await stderr.ReadAsync(Jobs, JobId, Core.Jobs.JobOutputStream.Stderr, PageToken);
            problem = null;
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException or InvalidOperationException)
        {
            problem = "Output not read: " + e.Message;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            // The user left the page.
        }
    }

    private sealed class Tail
    {
        private long _offset;

        public string Text { get; private set; } = "";

        public void Reset() => (_offset, Text) = (0, "");

        public async Task ReadAsync(JobService jobs, string jobId, Core.Jobs.JobOutputStream stream, CancellationToken ct)
        {
            var (chunk, _) = await jobs.ReadOutputAsync(jobId, stream, _offset, 1 << 20, ct);
            if (chunk.Size < _offset)
            {
                // The job moved: the log on its new cloud starts afresh.
                Reset();
                (chunk, _) = await jobs.ReadOutputAsync(jobId, stream, 0, 1 << 20, ct);
            }

            if (chunk.Size - chunk.NextOffset > 1 << 20)
            {
                // Far behind a chatty job: jump to its end rather than read megabytes nobody sees.
                (chunk, _) = await jobs.ReadOutputAsync(jobId, stream, chunk.Size - TailChars, TailChars, ct);
            }

            _offset = chunk.NextOffset;
            var text = Text + chunk.Text;
            Text = text.Length <= TailChars ? text : text[^TailChars..];
        }
    }
}
