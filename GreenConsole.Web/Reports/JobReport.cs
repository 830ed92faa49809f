using System.Text;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Jobs;

namespace GreenConsole.Web.Reports;

public sealed record JobReportMigration(
    Guid Id, int SourceCloudId, string SourceCloud, int TargetCloudId, string TargetCloud, string Trigger, string Step,
    DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt, long? CheckpointStep, long? CheckpointBytes,
    long? TransferBytes, double? TransferSeconds, long? FirstStepAfterResume, string? LastFailure);

public sealed record JobReportEvent(DateTimeOffset At, string Kind, string? FromStep, string? ToStep, double? DurationMs, string Message);

/// <summary>Everything known about one job, as exported to CSV and JSON.</summary>
public sealed record JobReport(
    JobSnapshot Job,
    string FirstCloud,
    string CurrentCloud,
    JobCarbonSummary? Carbon,
    IReadOnlyList<JobReportMigration> Migrations,
    IReadOnlyList<JobReportEvent> Events,
    IReadOnlyList<JobProgressSample> Progress,
    DateTimeOffset GeneratedAt);

public sealed class JobReportBuilder(JobService jobs, JobStore store, CloudRepository clouds, TimeProvider time)
{
    public async Task<JobReport?> BuildAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = (await jobs.ListAsync(cancellationToken)).FirstOrDefault(j => j.Id == jobId);
        if (job is null)
        {
            return null;
        }
        var names = (await clouds.ListAsync(cancellationToken)).ToDictionary(c => c.Id, c => c.DisplayName);
        string Name(int id) => names.GetValueOrDefault(id, $"cloud {id} (deleted)");

        var migrations = (await jobs.MigrationsAsync(jobId, cancellationToken)).Select(m => new JobReportMigration(
            m.Id, m.SourceCloudId, Name(m.SourceCloudId), m.TargetCloudId, Name(m.TargetCloudId), m.Trigger, m.Step,
            m.RequestedAt, m.CompletedAt, m.CheckpointStep, m.CheckpointBytes, m.TransferBytes, m.TransferSeconds,
            m.FirstStepAfterResume, m.LastFailure)).ToList();
        var events = (await jobs.EventsAsync(jobId, cancellationToken))
            .Select(e => new JobReportEvent(e.At, e.Kind, e.FromStep, e.ToStep, e.DurationMs, e.Message)).ToList();

        JobCarbonSummary? carbon = null;
        try
        {
            carbon = await jobs.CarbonReportAsync(jobId, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // A job that never started has nothing to account for; the report says so by leaving Carbon empty.
        }
        return new JobReport(job, Name(job.FirstCloudId), Name(job.CurrentCloudId), carbon, migrations, events,
            store.Progress(jobId), time.GetUtcNow());
    }

    /// <summary>
    /// One CSV with sections; each section has its own header row so spreadsheets can split it. Cells go through
    /// <see cref="CsvCell"/>, so a job name or trainer message cannot run as a formula.
    /// </summary>
    public static string ToCsv(JobReport report)
    {
        var csv = new StringBuilder();
        void Row(params object?[] cells) => csv.AppendLine(string.Join(',', cells.Select(v => CsvCell.Format(v, "yyyy-MM-ddTHH:mm:ss.fffZ"))));

        var j = report.Job;
        Row("section", "job_id", "name", "status", "first_cloud", "current_cloud", "last_step", "total_steps", "last_epoch", "last_loss", "training_seconds", "created_at", "started_at", "finished_at", "final_weights_sha256");
        Row("job", j.Id, j.Name, j.Status.ToString(), report.FirstCloud, report.CurrentCloud, j.LastStep, j.TotalSteps, j.LastEpoch, j.LastLoss, j.TrainingSeconds, j.CreatedAt, j.StartedAt, j.FinishedAt, j.FinalWeightsSha256);
        csv.AppendLine();
        if (report.Carbon is { } carbon)
        {
            var r = carbon.Report;
            Row("section", "power_watts", "power_provenance", "it_kwh", "run_gco2", "overhead_kwh", "overhead_gco2", "total_gco2", "had_it_stayed_gco2", "net_saving_gco2");
            Row("carbon", carbon.PowerWatts, carbon.PowerProvenance, r.ActualRunItKwh, r.ActualRunGrams, r.OverheadKwh, r.OverheadGrams, r.ActualTotalGrams, r.CounterfactualGrams, r.NetSavingGrams);
            csv.AppendLine();
        }
        Row("section", "migration_id", "from", "to", "trigger", "step", "requested_at", "completed_at", "checkpoint_step", "checkpoint_bytes", "transfer_bytes", "transfer_seconds", "first_step_after_resume", "failure");
        foreach (var m in report.Migrations)
        {
            Row("migration", m.Id.ToString(), m.SourceCloud, m.TargetCloud, m.Trigger, m.Step, m.RequestedAt, m.CompletedAt, m.CheckpointStep, m.CheckpointBytes, m.TransferBytes, m.TransferSeconds, m.FirstStepAfterResume, m.LastFailure);
        }
        csv.AppendLine();
        Row("section", "at", "kind", "from_step", "to_step", "duration_ms", "message");
        foreach (var e in report.Events)
        {
            Row("event", e.At, e.Kind, e.FromStep, e.ToStep, e.DurationMs, e.Message);
        }
        csv.AppendLine();
        Row("section", "step", "epoch", "loss", "at", "cloud_id");
        foreach (var p in report.Progress)
        {
            Row("progress", p.Step, p.Epoch, p.Loss, p.At, p.CloudId);
        }
        return csv.ToString();
    }
}
