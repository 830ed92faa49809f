using System.Collections.Concurrent;
using System.Text.Json;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Data;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs.Control;

/// <summary>
/// Records a policy decision (live on the job, and in its log when it changes or every Migration:DecisionLogMinutes)
/// and, when Migration:AutoMigrate allows, carries it out: request a move, time-shift (checkpoint and wait), or resume.
/// </summary>
internal sealed class DecisionExecutor(
    JobRepository jobs,
    MigrationDrivers drivers,
    ITrainingAgent agent,
    JobStore store,
    JobControllerSignal signal,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<DecisionExecutor> logger,
    Definitions.JobSpecs specs)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly ConcurrentDictionary<string, (MigrationAction Action, MigrationReason Reason, string? Target, DateTimeOffset At)> _lastLogged = new(StringComparer.Ordinal);

    public async Task ExecuteAsync(JobEntity job, SshTarget where, bool waiting, MigrationDecision decision, int? targetCloudId, CancellationToken stopping, CancellationToken ct)
    {
        var now = decision.Inputs.Now;
        logger.LogInformation("Decision for job {Job} on cloud {Cloud}: {Action} ({Reason}) {Explanation}",
            job.Id, job.CurrentCloudId, decision.Action, decision.Reason, decision.Explanation);
        store.SetDecision(new JobDecisionView(job.Id, now, decision.Action, decision.Reason, decision.TargetCloudId, decision.Explanation, decision));

        var log = !_lastLogged.TryGetValue(job.Id, out var last) || (last.Action, last.Reason, last.Target) != (decision.Action, decision.Reason, decision.TargetCloudId)
            || now - last.At >= TimeSpan.FromMinutes(options.Value.DecisionLogMinutes);
        if (log)
        {
            _lastLogged[job.Id] = (decision.Action, decision.Reason, decision.TargetCloudId, now);
            await jobs.AddEventAsync(job.Id, null, "Decision", null, null, null, decision.Explanation, DecisionJson(decision), ct).ConfigureAwait(false);
        }

        if (!options.Value.AutoMigrate)
        {
            return;
        }

        var holdsInPlace = Definitions.JobSpecs.ModeOf(job) is { } mode && Core.Jobs.Definitions.JobModes.PausesInPlace(mode);
        switch (decision.Action)
        {
            case MigrationAction.Migrate when holdsInPlace:
                // A command cannot be checkpointed, so it never moves; the job page says why.
                break;
            case MigrationAction.Pause when !waiting && holdsInPlace:
                await HoldAsync(job, where, hold: true, decision, ct).ConfigureAwait(false);
                break;
            case MigrationAction.Resume when waiting && holdsInPlace:
                await HoldAsync(job, where, hold: false, decision, ct).ConfigureAwait(false);
                break;
            case MigrationAction.Migrate when targetCloudId is { } targetId:
                drivers.Start(await jobs.RequestMigrationAsync(job.Id, targetId, "Policy", ct).ConfigureAwait(false), stopping);
                break;
            case MigrationAction.Pause when !waiting:
                await ShiftAsync(job, where, decision, ct).ConfigureAwait(false);
                break;
            case MigrationAction.Resume when waiting:
                await ResumeWaitingAsync(job, where, decision, ct).ConfigureAwait(false);
                break;
        }
    }

    internal static string DecisionJson(MigrationDecision d) => JsonSerializer.Serialize(new
    {
        d.Action,
        d.Reason,
        d.TargetCloudId,
        d.Explanation,
        d.Inputs.Now,
        Job = d.Inputs.Job,
        Clouds = d.Inputs.Clouds,
        MeasuredBandwidth = d.Inputs.MeasuredBandwidth?.Select(kv => new { Pair = kv.Key.ToString(), BytesPerSecond = kv.Value }),
        WindowSeconds = d.Window.TotalSeconds,
        d.ExpectedStayGrams,
        d.Candidates,
    }, Json);

    /// <summary>Time shifting: asks the job to checkpoint and stop where it is; the next polls turn it Waiting.</summary>
    private async Task ShiftAsync(JobEntity job, SshTarget target, MigrationDecision decision, CancellationToken ct)
    {
        if (!await jobs.TryApplyAsync(JobLifecycle.Shift(job.Id, job.Status, time.GetUtcNow()), null, ct).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await agent.RequestStopAsync(target, job.Id, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            // The stop never reached the job: it keeps running, and the next decision tries again.
            await jobs.TryApplyAsync(JobLifecycle.ShiftFailed(job.Id, time.GetUtcNow()), null, ct).ConfigureAwait(false);
            logger.LogWarning("Could not ask job {Job} to wait on cloud {Cloud}: {Error}", job.Id, job.CurrentCloudId, e.Message);
            return;
        }

        await jobs.AddEventAsync(job.Id, null, "TimeShift", null, null, null,
            $"Checkpointing and waiting on cloud {job.CurrentCloudId}: {decision.Explanation}", null, ct).ConfigureAwait(false);
        signal.Wake();
    }

    /// <summary>Time shifting for a command-mode job: its process group is held (or released) in place.</summary>
    private async Task HoldAsync(JobEntity job, SshTarget target, bool hold, MigrationDecision decision, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var change = hold ? JobLifecycle.Hold(job.Id, job.Status, JobChangeCause.Policy, now) : JobLifecycle.Resume(job.Id, job.Status, JobChangeCause.Policy, now);
        try
        {
            if (!await agent.HoldAsync(target, job.Id, hold, ct).ConfigureAwait(false))
            {
                logger.LogWarning("Job {Job} on cloud {Cloud} did not confirm the {Change} in time", job.Id, job.CurrentCloudId, hold ? "hold" : "release");
                return;
            }
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            logger.LogWarning("Could not {Change} job {Job} on cloud {Cloud}: {Error}", hold ? "hold" : "release", job.Id, job.CurrentCloudId, e.Message);
            return;
        }

        if (!await jobs.TryApplyAsync(change, null, ct).ConfigureAwait(false))
        {
            await agent.HoldAsync(target, job.Id, !hold, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await jobs.AddEventAsync(job.Id, null, "TimeShift", null, null, null,
            $"{(hold ? "Held in place" : "Released")} on cloud {job.CurrentCloudId}: {decision.Explanation}", null, ct).ConfigureAwait(false);
        signal.Wake();
    }

    /// <summary>Ends a policy wait: the job resumes from its checkpoint on the cloud it waited on.</summary>
    private async Task ResumeWaitingAsync(JobEntity job, SshTarget target, MigrationDecision decision, CancellationToken ct)
    {
        TrainingLaunchResult launch;
        try
        {
            launch = await agent.StartAsync(target, specs.Of(job), resume: true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            // Still waiting: an unreachable cloud is not a job failure, and the next tick tries again.
            logger.LogWarning("Could not resume waiting job {Job} on cloud {Cloud}: {Error}", job.Id, job.CurrentCloudId, e.Message);
            return;
        }

        // The job trains again from here: the carbon report charges run time from this status event.
        var change = JobLifecycle.Resume(job.Id, JobStatus.Waiting, JobChangeCause.Policy, time.GetUtcNow());
        await jobs.TryApplyAsync(change, u => u
            .SetProperty(j => j.ProgressOffset, launch.ProgressOffset)
            .SetProperty(j => j.LastProgressAt, (DateTimeOffset?)null), ct).ConfigureAwait(false);
        await jobs.AddEventAsync(job.Id, null, "TimeShift", null, null, null,
            $"Resumed on cloud {job.CurrentCloudId}: {decision.Explanation}", null, ct).ConfigureAwait(false);
    }
}
