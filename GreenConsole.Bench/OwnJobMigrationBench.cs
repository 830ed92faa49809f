using System.Globalization;
using System.Security.Cryptography;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Definitions;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Bench;

/// <summary>One move of a researcher's protocol-mode job: downtime, the project copy before the stop, and the baseline.</summary>
internal sealed record OwnJobMoveRow(string Label, double DowntimeSeconds, double PlainCopySeconds, double SyncSeconds, long SyncBytes, long CheckpointBytes, string Outcome)
{
    public bool MeetsGoal => DowntimeSeconds <= (1.2 * PlainCopySeconds) + 2;
}

/// <summary>
/// The protocol-mode CNN (examples/own-training/protocol_cnn) with a 100 MB buffer in its model and a 50 MB project,
/// moved source → target (first move there), back, and to the target again (second move to the same cloud).
/// </summary>
internal static class OwnJobMigrationBench
{
    public const int ProjectMb = 50;
    public const int CheckpointMb = 100;

    public static async Task<IReadOnlyList<OwnJobMoveRow>> RunAsync(
        IServiceProvider provider, int sourceId, int targetId, SshTarget source, SshTarget target, Func<long, Task<double>> plainCopy, TextWriter output, CancellationToken ct)
    {
        var example = Path.Combine(Directory.GetCurrentDirectory(), "examples", "own-training", "protocol_cnn", "train.py");
        if (!File.Exists(example))
        {
            throw new InvalidOperationException($"{example} is missing: run the benchmark from the repository root (scripts/bench.sh).");
        }

        var project = Directory.CreateTempSubdirectory("gc-bench-own-").FullName;
        var jobs = provider.GetRequiredService<JobService>();
        var db = provider.GetRequiredService<IDbContextFactory<GreenConsoleDbContext>>();
        string? id = null;
        try
        {
            File.Copy(example, Path.Combine(project, "train.py"));
            Directory.CreateDirectory(Path.Combine(project, "data"));
            for (var i = 0; i < ProjectMb; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(project, "data", $"shard-{i:00}.bin"), RandomNumberGenerator.GetBytes(1 << 20), ct).ConfigureAwait(false);
            }

            var definition = new JobDefinition
            {
                Name = "bench-protocol-cnn",
                Project = JobProject.Local(project),
                Command = string.Create(CultureInfo.InvariantCulture, $"/usr/bin/python3 train.py --epochs 400 --delay 0.1 --ballast-mb {CheckpointMb}"),
                Mode = JobMode.Protocol,
                Interpreter = "/usr/bin/python3",
                Requirements = new JobRequirements { Packages = [new PackageRequirement("torch")] },
            };
            // The baseline first, while no job competes for the two cores.
            await output.WriteLineAsync("bench migration (own job): scp -3 of 100 MB for the baseline…").ConfigureAwait(false);
            var baseline = await plainCopy(CheckpointMb * 1_000_000L).ConfigureAwait(false);
            var submitted = await provider.GetRequiredService<JobSubmitter>().SubmitAsync(new JobSubmitRequest(definition, sourceId, SaveAsTemplate: false), ct).ConfigureAwait(false);
            id = submitted.Job.Id;
            await output.WriteLineAsync($"bench migration (own job): {id}, project {submitted.Sync?.Describe()}").ConfigureAwait(false);
            var rows = new List<OwnJobMoveRow>();
            var moves = new[] { (targetId, "1st move to the target"), (sourceId, "back to the source"), (targetId, "2nd move to the target") };
            foreach (var (to, label) in moves)
            {
                await WaitForStepAsync(db, id, ct).ConfigureAwait(false);
                await output.WriteLineAsync($"  moving ({label})…").ConfigureAwait(false);
                var migrationId = await jobs.MigrateAsync(id, to, ct).ConfigureAwait(false);
                MigrationEntity? m = null;
                var until = DateTime.UtcNow.AddMinutes(5);
                while (m?.CompletedAt is null)
                {
                    if (DateTime.UtcNow > until)
                    {
                        throw new TimeoutException($"Migration {migrationId} of {id} did not finish within 5 minutes.");
                    }

                    await Task.Delay(200, ct).ConfigureAwait(false);
                    await using var c = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
                    m = await c.Migrations.AsNoTracking().FirstAsync(x => x.Id == migrationId, ct).ConfigureAwait(false);
                }

                var sync = (await jobs.EventsAsync(id, ct).ConfigureAwait(false)).LastOrDefault(e => e.MigrationId == migrationId && e.Kind == "Sync");
                var syncResult = sync?.DataJson is { } json ? System.Text.Json.JsonSerializer.Deserialize<ProjectSyncResult>(json) : null;
                var row = new OwnJobMoveRow(label, m.DowntimeSeconds ?? double.NaN, baseline, syncResult?.Elapsed.TotalSeconds ?? 0, syncResult?.BytesSent ?? 0, m.CheckpointBytes ?? 0, m.Step);
                rows.Add(row);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {label}: downtime {row.DowntimeSeconds:0.00} s (checkpoint {row.CheckpointBytes / 1e6:0.0} MB), project copy before the stop {row.SyncSeconds:0.00} s ({row.SyncBytes / 1e6:0.0} MB), {m.Step}")).ConfigureAwait(false);
            }

            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync("own protocol job, 100 MB checkpoint, 50 MB project   downtime s  scp -3 100 MB s  goal (<= 1.2 x scp + 2 s)   project sent (MB, before the stop)").ConfigureAwait(false);
            foreach (var r in rows)
            {
                var goal = string.Create(CultureInfo.InvariantCulture, $"{(r.MeetsGoal ? "met" : "MISSED")} (limit {(1.2 * r.PlainCopySeconds) + 2:0.00})");
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Label,-52} {r.DowntimeSeconds,10:0.00} {r.PlainCopySeconds,16:0.00}  {goal,-27} {r.SyncBytes / 1e6,8:0.0} in {r.SyncSeconds:0.00} s")).ConfigureAwait(false);
            }

            return rows;
        }
        finally
        {
            if (id is not null)
            {
                try
                {
                    await jobs.CancelAsync(id, CancellationToken.None).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // Already final.
                }

                foreach (var t in new[] { source, target })
                {
                    await provider.GetRequiredService<IRemoteShell>().RunAsync(t, $"rm -rf \"$HOME/.greenconsole/jobs/{id}\"", TimeSpan.FromMinutes(2), CancellationToken.None).ConfigureAwait(false);
                }
            }

            Directory.Delete(project, recursive: true);
        }
    }

    private static async Task WaitForStepAsync(IDbContextFactory<GreenConsoleDbContext> db, string id, CancellationToken ct)
    {
        long? first = null;
        var until = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < until)
        {
            await using (var c = await db.CreateDbContextAsync(ct).ConfigureAwait(false))
            {
                var j = await c.Jobs.AsNoTracking().FirstAsync(x => x.Id == id, ct).ConfigureAwait(false);
                if (j.Status != JobStatus.Running && j.Status != JobStatus.Migrating)
                {
                    throw new InvalidOperationException($"Job {id} is {j.Status}: {j.LastError}");
                }

                first ??= j.LastStep;
                if (j.Status == JobStatus.Running && j.LastStep is { } s && s >= (first ?? 0) + 3)
                {
                    return;
                }
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"Job {id} made no progress within 3 minutes.");
    }
}
