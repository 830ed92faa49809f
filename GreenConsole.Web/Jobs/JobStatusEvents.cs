using System.Text.RegularExpressions;
using GreenConsole.Web.Data;

namespace GreenConsole.Web.Jobs;

/// <summary>
/// Job status changes kept as job events: written and read back (the carbon report's training time) in one place.
/// The status names go in FromStep/ToStep; rows from before that carry them only in the message.
/// </summary>
internal static partial class JobStatusEvents
{
    public const string Kind = "Job";

    public static string Message(string jobId, JobStatus from, JobStatus to) => $"Job {jobId}: {from} -> {to}";

    /// <summary>The status a recorded change led to, or null when the row names none.</summary>
    public static JobStatus? To(string? toStep, string message)
    {
        var name = toStep;
        if (name is null && ToInMessage().Match(message) is { Success: true } m)
        {
            name = m.Groups[1].Value;
        }

        return Enum.TryParse<JobStatus>(name, out var status) ? status : null;
    }

    /// <summary>Sets what a <see cref="JobLifecycle"/> change leads to; a final status stamps the end.</summary>
    public static void Apply(JobEntity job, JobTransition change)
    {
        job.Status = change.To;
        if (change.Ends)
        {
            job.FinishedAt ??= change.At;
        }
    }

    [GeneratedRegex(@"-> (\w+)")]
    private static partial Regex ToInMessage();
}
