using GreenConsole.Core.Migration;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Jobs;

/// <summary>How job rows, their progress and their events are written (the controller today), so that a driver needs no controller.</summary>
internal interface IJobRecorder
{
    /// <summary>Applies a poll's new progress lines to the job and the live series.</summary>
    void ApplyProgress(JobEntity job, TrainingPoll poll, int cloudId);

    /// <summary>Saves the job row and refreshes the live store.</summary>
    Task SaveJobAsync(JobEntity job, CancellationToken ct, string? activeStep = null);

    Task AddEventAsync(string jobId, Guid? migrationId, string kind, string? from, string? to, double? durationMs, string message, string? json, CancellationToken ct);
}

/// <summary>Everything a <see cref="MigrationDriver"/> works with: ports, stores and settings.</summary>
internal sealed record MigrationDriverContext(
    IDbContextFactory<GreenConsoleDbContext> Db,
    CloudRepository Clouds,
    ITrainingAgent Agent,
    JobStore Store,
    MigrationHooks Hooks,
    JobsOptions Options,
    TimeProvider Time,
    ILogger Logger,
    MigrationStateMachine Machine,
    IJobRecorder Jobs);

/// <summary>Cloud ids are ints in the database and strings in Core's ports (SSH targets, the policy); this is the one conversion.</summary>
internal static class CloudKeys
{
    public static string Of(int cloudId) => cloudId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
