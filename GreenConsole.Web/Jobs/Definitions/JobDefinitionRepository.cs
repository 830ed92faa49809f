using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>Job definitions kept as templates, by name; secrets stay encrypted in the row.</summary>
public sealed class JobDefinitionRepository(IDbContextFactory<GreenConsoleDbContext> db, JobDefinitionCodec codec, TimeProvider time)
{
    /// <summary>Saves the definition under its name, replacing an older one of the same name.</summary>
    public async Task SaveAsync(JobDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        JobDefinitionRules.ThrowIfInvalid(definition);
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var row = await context.JobDefinitions.FirstOrDefaultAsync(d => d.Name == definition.Name, ct).ConfigureAwait(false);
        if (row is null)
        {
            context.JobDefinitions.Add(new JobDefinitionEntity
            {
                Id = Guid.NewGuid().ToString("N"),
                Name = definition.Name,
                DefinitionJson = codec.Encode(definition),
                CreatedAt = now,
                UpdatedAt = now,
            });
        }
        else
        {
            row.DefinitionJson = codec.Encode(definition);
            row.UpdatedAt = now;
        }

        await context.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Every template, secrets masked, by name.</summary>
    public async Task<IReadOnlyList<JobDefinition>> ListAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var rows = await context.JobDefinitions.AsNoTracking().OrderBy(d => d.Name).Select(d => d.DefinitionJson).ToListAsync(ct).ConfigureAwait(false);
        return [.. rows.Select(JobDefinitionCodec.ReadMasked)];
    }

    /// <summary>The template with its secrets, to start a job from; null when none has that name.</summary>
    public async Task<JobDefinition?> GetAsync(string name, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
        var json = await context.JobDefinitions.AsNoTracking().Where(d => d.Name == name).Select(d => d.DefinitionJson).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        return json is null ? null : codec.Decode(json);
    }
}
