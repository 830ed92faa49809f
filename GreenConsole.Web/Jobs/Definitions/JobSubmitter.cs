using System.Globalization;
using System.Text.Json;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>A researcher's job to start on one cloud.</summary>
public sealed record JobSubmitRequest(JobDefinition Definition, int CloudId, bool SaveAsTemplate = true);

/// <summary>What the submit did: the job, the cloud's preflight, the project copy and the command as the cloud runs it (secrets masked).</summary>
public sealed record JobSubmitResult(JobSnapshot Job, PreflightResult Preflight, ProjectSyncResult? Sync, string Command);

/// <summary>The chosen cloud cannot take the job; <see cref="Result"/> says why, per check.</summary>
public sealed class JobPreflightException(PreflightResult result)
    : Exception("Preflight failed on cloud " + result.Summary + ". Nothing was started.")
{
    public PreflightResult Result { get; } = result;
}

/// <summary>The job started but its command ended at once; the job is recorded as Failed with the command's stderr.</summary>
public sealed class JobStartException(string jobId, string message) : Exception(message)
{
    public string JobId { get; } = jobId;
}

/// <summary>
/// Starts researchers' own jobs: validates the definition, preflights the cloud, ships the project (changed files only,
/// verified by SHA-256), launches the command under the supervisor and watches the first seconds for an early exit.
/// </summary>
public sealed class JobSubmitter(
    JobRepository jobs,
    CloudRepository clouds,
    ITrainingAgent agent,
    JobPreparation prepare,
    JobSpecs specs,
    JobDefinitionCodec codec,
    JobDefinitionRepository templates,
    JobControllerSignal signal,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<JobSubmitter> logger)
{
    /// <summary>Each cloud's preflight for a definition (the allowed clouds, or every registered one), for the form.</summary>
    public async Task<IReadOnlyList<PreflightResult>> PreflightAsync(JobDefinition d, CancellationToken ct)
    {
        JobDefinitionRules.ThrowIfInvalid(d);
        var bytes = await prepare.ProjectBytesAsync(d, ct).ConfigureAwait(false);
        var results = new List<PreflightResult>();
        foreach (var c in await clouds.ListAsync(ct).ConfigureAwait(false))
        {
            if (d.AllowedClouds.Count > 0 && !d.AllowedClouds.Contains(CloudKeys.Of(c.Id), StringComparer.Ordinal))
            {
                continue;
            }

            if (await clouds.GetTargetAsync(c.Id, ct).ConfigureAwait(false) is { } target)
            {
                results.Add(await prepare.PreflightAsync(null, d, c.Id, target, Label(c), bytes, null, ct).ConfigureAwait(false));
            }
        }

        return results;
    }

    public async Task<JobSubmitResult> SubmitAsync(JobSubmitRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var d = request.Definition;
        JobDefinitionRules.ThrowIfInvalid(d);
        var cloud = await clouds.FindAsync(request.CloudId, ct).ConfigureAwait(false)
            ?? throw new JobDefinitionException([new FieldError("cloud", $"no cloud {request.CloudId} is registered")]);
        if (d.AllowedClouds.Count > 0 && !d.AllowedClouds.Contains(CloudKeys.Of(cloud.Id), StringComparer.Ordinal))
        {
            throw new JobDefinitionException([new FieldError("cloud", $"cloud {cloud.Id} is not among the job's allowed clouds ({string.Join(", ", d.AllowedClouds)})")]);
        }

        var target = await clouds.GetTargetAsync(cloud.Id, ct).ConfigureAwait(false)
            ?? throw new JobDefinitionException([new FieldError("cloud", $"no cloud {request.CloudId} is registered")]);
        var bytes = await prepare.ProjectBytesAsync(d, ct).ConfigureAwait(false);
        var id = "job-" + Guid.NewGuid().ToString("N")[..10];
        var preflight = await prepare.PreflightAsync(id, d, cloud.Id, target, Label(cloud), bytes, null, ct).ConfigureAwait(false);
        if (!preflight.Ok)
        {
            throw new JobPreflightException(preflight);
        }

        var sync = await prepare.SyncAsync(id, d, target, ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var preview = JobDefinitionRules.Preview(d, specs.ProjectOnCloud(id, d));
        var job = new JobEntity
        {
            Id = id,
            Name = d.Name,
            TrainerArguments = preview.Length <= 1000 ? preview : preview[..997] + "...",
            FirstCloudId = cloud.Id,
            CurrentCloudId = cloud.Id,
            Status = JobStatus.Running,
            CreatedAt = now,
            ArrivedOnCurrentAt = now,
            Mode = d.Mode.Name(),
            DefinitionJson = codec.Encode(d),
        };
        var launch = await agent.StartAsync(target, specs.Of(job), resume: false, ct).ConfigureAwait(false);
        job.StartedAt = launch.LaunchedAt;
        job.ProgressOffset = launch.ProgressOffset;
        await jobs.AddAsync(job, $"Started on cloud {cloud.Id} ({d.Mode.Name()} mode): {preview}", ct).ConfigureAwait(false);
        await jobs.AddEventAsync(id, null, "Preflight", null, null, null, preflight.Summary, null, ct).ConfigureAwait(false);
        if (sync is not null)
        {
            await jobs.AddEventAsync(id, null, "Sync", null, null, sync.Elapsed.TotalMilliseconds,
                $"Project copied to cloud {cloud.Id}: {sync.Describe()}", JsonSerializer.Serialize(sync), ct).ConfigureAwait(false);
        }

        if (request.SaveAsTemplate)
        {
            await templates.SaveAsync(d, ct).ConfigureAwait(false);
        }

        logger.LogInformation("Job {Job} ({Mode}) started on cloud {Cloud}", id, d.Mode.Name(), cloud.Id);
        signal.Wake();
        await WatchStartAsync(job, target, launch, ct).ConfigureAwait(false);
        return new JobSubmitResult(JobSnapshot.From(job), preflight, sync, preview);
    }

    /// <summary>A command that ends at once (a typo, a missing module) is reported to the person who submitted it, with its stderr.</summary>
    private async Task WatchStartAsync(JobEntity job, Core.Remote.SshTarget target, TrainingLaunchResult launch, CancellationToken ct)
    {
        var window = TimeSpan.FromSeconds(options.Value.EarlyExitSeconds);
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        var poll = await agent.WaitAndPollAsync(target, job.Id, launch.ProgressOffset, RemoteWaitCondition.StoppedOrDone, window, ct).ConfigureAwait(false);
        if (poll.State != RemoteJobState.Exited && !(poll.State == RemoteJobState.NotStarted && !poll.Status.LauncherAlive))
        {
            return;
        }

        var message = ExitMessage(job.CurrentCloudId, poll.Status.Exit, early: true);
        job.LastError = message;
        await jobs.SavePollAsync(job, JobStatus.Running, JobLifecycle.FailedOnCloud(job.Id, JobStatus.Running, time.GetUtcNow()), ct).ConfigureAwait(false);
        throw new JobStartException(job.Id, $"Job {job.Id}: {message}");
    }

    /// <summary>The words a failed command gets on its job: exit status, reason and the end of its stderr (control characters removed).</summary>
    public static string ExitMessage(int cloudId, RemoteExit? exit, bool early = false)
    {
        if (exit is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the process on cloud {cloudId} is gone without a stopped/done marker (crashed or killed); see its stderr.log there.");
        }

        var tail = Printable(exit.StderrTail.Trim());
        var ending = tail.Length == 0 ? "; it wrote nothing to stderr." : ". Its stderr ends: " + tail;
        return string.Create(CultureInfo.InvariantCulture,
            $"the command {(early ? "exited at once" : "exited")} on cloud {cloudId} with status {exit.ExitCode} ({Printable(exit.Reason)}){ending}");
    }

    internal static string Label(CloudSummary c) => string.Create(CultureInfo.InvariantCulture, $"{c.CountryCode} (cloud {c.Id})");

    /// <summary>A cloud's text may hold terminal escapes; pages escape it, a terminal would not.</summary>
    private static string Printable(string s) => string.Concat(s.Select(c => char.IsControl(c) && c is not ('\n' or '\t') ? '?' : c));
}
