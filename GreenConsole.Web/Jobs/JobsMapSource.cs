using GreenConsole.Core.Migration;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Jobs;

/// <summary>Feeds the map: which clouds run a job now, and every migration that completed.</summary>
internal sealed class JobsMapSource(JobStore store, IDbContextFactory<GreenConsoleDbContext> db) : IMapJobSource
{
    private static readonly string Completed = MigrationStep.RunningOnTarget.ToString();

    public async Task<MapJobState> GetAsync(CancellationToken cancellationToken)
    {
        var running = store.Jobs.Where(j => JobLifecycle.IsShownOnMap(j.Status)).Select(j => j.CurrentCloudId).ToHashSet();
        await using var context = await db.CreateDbContextAsync(cancellationToken);
        var moves = await context.Migrations.AsNoTracking()
            .Where(m => m.Step == Completed)
            .Select(m => new { m.JobId, m.SourceCloudId, m.TargetCloudId, m.CompletedAt, m.RequestedAt })
            .ToListAsync(cancellationToken);
        var names = store.Jobs.ToDictionary(j => j.Id, j => j.Name);
        var migrations = moves
            .OrderByDescending(m => m.CompletedAt ?? m.RequestedAt)
            .Take(50)
            .Select(m => new MapMigration(m.SourceCloudId, m.TargetCloudId, m.CompletedAt ?? m.RequestedAt,
                $"{names.GetValueOrDefault(m.JobId, m.JobId)} moved {(m.CompletedAt ?? m.RequestedAt).UtcDateTime:yyyy-MM-dd HH:mm} UTC"))
            .ToList();
        return new MapJobState(running, migrations);
    }
}
