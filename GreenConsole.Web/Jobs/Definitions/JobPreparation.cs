using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>Readies a cloud for a researcher's job: preflight (against the source's versions on a move) and the project copy.</summary>
public sealed class JobPreparation(IProjectSync projects, ICloudPreflight preflight, PreflightStore results, ILogger<JobPreparation> logger)
{
    /// <summary>The bytes the project occupies on a cloud (0 for a project that is already there).</summary>
    public async Task<long> ProjectBytesAsync(JobDefinition d, CancellationToken ct) =>
        d.Project.OnCloud ? 0 : (await projects.ScanAsync(d.Project.Path, ct).ConfigureAwait(false)).Sum(f => f.Size);

    /// <summary>One cloud's verdict; an unreachable cloud fails with that reason rather than throwing.</summary>
    public async Task<PreflightResult> PreflightAsync(string? jobId, JobDefinition d, int cloudId, SshTarget target, string label, long projectBytes, SshTarget? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        PreflightResult result;
        try
        {
            // Importing torch takes seconds: both sides are asked at once, while the job still trains on the source.
            var sourceFacts = source is null ? Task.FromResult<PreflightFacts?>(null) : SourceFactsAsync(jobId, source, d, ct);
            var facts = await preflight.ProbeAsync(target, d, ct).ConfigureAwait(false);
            var there = await sourceFacts.ConfigureAwait(false);
            result = new PreflightResult(CloudKeys.Of(cloudId), label, PreflightRules.Problems(d, facts, projectBytes, there), facts);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            result = new PreflightResult(CloudKeys.Of(cloudId), label, ["cannot be checked: " + e.Message], null);
        }

        if (jobId is not null)
        {
            results.Record(jobId, cloudId, result);
        }

        logger.LogInformation("Preflight for job {Job} on cloud {Cloud}: {Summary}", jobId, cloudId, result.Summary);
        return result;
    }

    private async Task<PreflightFacts?> SourceFactsAsync(string? jobId, SshTarget source, JobDefinition d, CancellationToken ct)
    {
        try
        {
            return await preflight.ProbeAsync(source, d, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException)
        {
            // Versions cannot be compared with an unreachable source; the target's own checks still decide.
            logger.LogWarning("Preflight could not read the source's versions for job {Job}: {Error}", jobId, e.Message);
            return null;
        }
    }

    /// <summary>Copies the project (changed files only) to the cloud; null for a project that is already there.</summary>
    public async Task<ProjectSyncResult?> SyncAsync(string jobId, JobDefinition d, SshTarget target, CancellationToken ct) =>
        d.Project.OnCloud ? null : await projects.SyncAsync(target, jobId, d.Project.Path, ct).ConfigureAwait(false);
}
