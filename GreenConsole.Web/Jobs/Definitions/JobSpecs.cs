using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Data;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>What one incarnation of a job runs: the reference trainer's settings, or a researcher's own command.</summary>
public sealed class JobSpecs(JobDefinitionCodec codec, IProjectSync projects)
{
    public TrainingJobSpec Of(JobEntity job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var spec = new TrainingJobSpec
        {
            JobId = job.Id,
            Seed = job.Seed,
            Epochs = job.Epochs,
            StepDelayMs = job.StepDelayMs,
            CheckpointPadBytes = job.CheckpointPadBytes,
        };
        if (job.DefinitionJson is null)
        {
            return spec;
        }

        var d = codec.Decode(job.DefinitionJson);
        return spec with { Workload = JobWorkload.From(d, ProjectOnCloud(job.Id, d)) };
    }

    /// <summary>The job's definition with its secrets; null for the reference trainer.</summary>
    public JobDefinition? DefinitionOf(JobEntity job) => job?.DefinitionJson is null ? null : codec.Decode(job.DefinitionJson);

    /// <summary>The definition without secrets, for the page; null for the reference trainer.</summary>
    public static JobDefinition? MaskedDefinition(JobEntity job) => job.DefinitionJson is null ? null : JobDefinitionCodec.ReadMasked(job.DefinitionJson);

    public string ProjectOnCloud(string jobId, JobDefinition d) => d.Project.OnCloud ? d.Project.Path : projects.ProjectOnCloud(jobId);

    public static JobMode? ModeOf(JobEntity job) => JobModes.TryParse(job.Mode, out var m) ? m : null;
}
