using GreenConsole.Core.Clouds;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Clouds;

/// <summary>
/// Imports the cloud CSV into the registry in one transaction. Idempotent: rows are matched by host:port:user;
/// a row equal to the stored cloud (password compared after decryption) is Unchanged and not written.
/// Clouds missing from the file are left alone (an import never deletes).
/// </summary>
public sealed class CloudImportService(
    IDbContextFactory<GreenConsoleDbContext> contextFactory,
    CloudSecretProtector protector,
    TimeProvider time,
    ILogger<CloudImportService> logger)
{
    public CloudCsvOptions CsvOptions { get; init; } = CloudCsvOptions.Default;

    public async Task<CloudImportReport> ImportAsync(Stream csv, CloudImportMode mode, bool dryRun, CancellationToken cancellationToken)
    {
        var parsed = await CloudCsvParser.ParseAsync(csv, CsvOptions, cancellationToken).ConfigureAwait(false);
        if (parsed.FileErrors.Count > 0)
        {
            logger.LogWarning("Cloud CSV refused: {Errors}", string.Join("; ", parsed.FileErrors));
            return new CloudImportReport(mode, dryRun, Stored: false, parsed.FileErrors, []);
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        var keys = parsed.Rows.Where(r => r.IsValid).Select(r => r.Cloud!.NaturalKey).ToList();
        var existing = await db.Clouds.Where(c => keys.Contains(c.NaturalKey))
            .ToDictionaryAsync(c => c.NaturalKey, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var results = new List<CloudImportRowResult>(parsed.Rows.Count);
        var touched = new List<(int Index, CloudEntity Entity)>();
        foreach (var row in parsed.Rows)
        {
            if (!row.IsValid)
            {
                results.Add(new CloudImportRowResult(row.RowNumber, CloudImportRowStatus.Rejected, row.RawHost, ParsePort(row.RawPort), row.RawUsername,
                    null, row.Errors, row.Warnings, null));
                continue;
            }

            var cloud = row.Cloud!;
            CloudImportRowStatus status;
            CloudEntity entity;
            if (existing.TryGetValue(cloud.NaturalKey, out var stored))
            {
                entity = stored;
                if (IsSame(stored, cloud))
                {
                    status = CloudImportRowStatus.Unchanged;
                }
                else
                {
                    status = CloudImportRowStatus.Updated;
                    Apply(stored, cloud, now);
                }
            }
            else
            {
                status = CloudImportRowStatus.Created;
                entity = new CloudEntity
                {
                    NaturalKey = cloud.NaturalKey,
                    Host = cloud.Host,
                    Username = cloud.Username,
                    CountryCode = cloud.CountryCode,
                    CountryName = cloud.CountryName,
                    Zone = cloud.Zone,
                    CreatedAt = now,
                };
                Apply(entity, cloud, now);
                db.Clouds.Add(entity);
            }

            touched.Add((results.Count, entity));
            results.Add(new CloudImportRowResult(row.RowNumber, status, cloud.Host, cloud.Port, cloud.Username, cloud.Zone, [], row.Warnings,
                status == CloudImportRowStatus.Created ? null : entity.Id));
        }

        var rejected = results.Count(r => r.Status == CloudImportRowStatus.Rejected);
        if (dryRun || (rejected > 0 && mode == CloudImportMode.AllOrNothing) || rejected == results.Count)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            if (!dryRun)
            {
                for (var i = 0; i < results.Count; i++)
                {
                    if (results[i].Status != CloudImportRowStatus.Rejected)
                    {
                        results[i] = results[i] with { Status = CloudImportRowStatus.Accepted };
                    }
                }

                logger.LogWarning("Cloud CSV import stored nothing: {Rejected} of {Total} rows rejected", rejected, results.Count);
            }

            return new CloudImportReport(mode, dryRun, Stored: false, [], results);
        }

        var report = new CloudImportReport(mode, dryRun, Stored: true, [], results);
        db.ImportBatches.Add(new ImportBatchEntity
        {
            ImportedAt = now,
            Mode = mode.ToString(),
            TotalRows = results.Count,
            Created = report.Created,
            Updated = report.Updated,
            Unchanged = report.Unchanged,
            Rejected = report.Rejected,
        });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        foreach (var (index, entity) in touched)
        {
            results[index] = results[index] with { CloudId = entity.Id };
        }

        logger.LogInformation(
            "Cloud CSV imported: {Created} created, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected",
            report.Created, report.Updated, report.Unchanged, report.Rejected);
        return report with { Rows = results };
    }

    private bool IsSame(CloudEntity stored, CloudDefinition cloud)
    {
        if (!string.Equals(stored.Host, cloud.Host, StringComparison.Ordinal)
            || stored.Port != cloud.Port
            || !string.Equals(stored.Username, cloud.Username, StringComparison.Ordinal)
            || !string.Equals(stored.KeyPath, cloud.KeyPath, StringComparison.Ordinal)
            || !string.Equals(stored.CountryCode, cloud.CountryCode, StringComparison.Ordinal)
            || !string.Equals(stored.CountryName, cloud.CountryName, StringComparison.Ordinal)
            || !string.Equals(stored.Zone, cloud.Zone, StringComparison.Ordinal)
            || stored.Threshold != cloud.ThresholdGPerKwh
            || stored.Pue != cloud.Pue
            || !string.Equals(stored.Label, cloud.Label, StringComparison.Ordinal))
        {
            return false;
        }

        // Ciphertext differs on every Protect call, so compare the plaintext.
        if (!protector.TryUnprotect(stored.ProtectedPassword, out var storedPassword))
        {
            logger.LogWarning("Stored password of cloud {CloudId} cannot be decrypted (key ring changed); it will be replaced", stored.Id);
            return false;
        }

        return string.Equals(storedPassword, cloud.Password, StringComparison.Ordinal);
    }

    private void Apply(CloudEntity entity, CloudDefinition cloud, DateTimeOffset now)
    {
        entity.Host = cloud.Host;
        entity.Port = cloud.Port;
        entity.Username = cloud.Username;
        entity.ProtectedPassword = cloud.Password is null ? null : protector.Protect(cloud.Password);
        entity.KeyPath = cloud.KeyPath;
        entity.CountryCode = cloud.CountryCode;
        entity.CountryName = cloud.CountryName;
        entity.Zone = cloud.Zone;
        entity.Threshold = cloud.ThresholdGPerKwh;
        entity.Pue = cloud.Pue;
        entity.Label = cloud.Label;
        entity.UpdatedAt = now;
    }

    private static int? ParsePort(string? raw) =>
        int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : null;
}
