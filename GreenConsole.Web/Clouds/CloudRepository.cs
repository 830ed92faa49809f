using System.Globalization;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Clouds;

/// <summary>Reads and maintains registered clouds. Only <see cref="GetTargetAsync"/> ever decrypts a password.</summary>
public sealed class CloudRepository(
    IDbContextFactory<GreenConsoleDbContext> contextFactory,
    CloudSecretProtector protector,
    TimeProvider time,
    ILogger<CloudRepository> logger)
{
    public async Task<IReadOnlyList<CloudSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var clouds = await db.Clouds.AsNoTracking().OrderBy(c => c.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return clouds.Select(ToSummary).ToList();
    }

    public async Task<CloudSummary?> FindAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var cloud = await db.Clouds.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken).ConfigureAwait(false);
        return cloud is null ? null : ToSummary(cloud);
    }

    public async Task<bool> DeleteAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await db.Clouds.Where(c => c.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            logger.LogInformation("Cloud {CloudId} deleted", id);
        }

        return deleted > 0;
    }

    /// <summary>
    /// The SSH target of a cloud with its decrypted password, or null when no cloud has this id.
    /// <see cref="SshTarget.CloudId"/> is the database id in invariant digits.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stored password cannot be decrypted (the key ring was lost or replaced).</exception>
    public async Task<SshTarget?> GetTargetAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var cloud = await db.Clouds.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken).ConfigureAwait(false);
        if (cloud is null)
        {
            return null;
        }

        if (!protector.TryUnprotect(cloud.ProtectedPassword, out var password))
        {
            throw new InvalidOperationException(
                $"The stored password of cloud {id} ({cloud.Username}@{cloud.Host}:{cloud.Port}) cannot be decrypted: the Data Protection key ring changed. Re-import the CSV to store it again.");
        }

        return new SshTarget
        {
            CloudId = cloud.Id.ToString(CultureInfo.InvariantCulture),
            Host = cloud.Host,
            Port = cloud.Port,
            Username = cloud.Username,
            Password = password,
            KeyPath = cloud.KeyPath,
            PinnedFingerprint = cloud.HostKeyFingerprint,
        };
    }

    public async Task<bool> PinFingerprintAsync(int id, string fingerprint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fingerprint);
        var now = time.GetUtcNow();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var updated = await db.Clouds.Where(c => c.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.HostKeyFingerprint, fingerprint).SetProperty(c => c.UpdatedAt, now), cancellationToken)
            .ConfigureAwait(false);
        if (updated > 0)
        {
            logger.LogInformation("Cloud {CloudId} host key pinned to {Fingerprint}", id, fingerprint);
        }

        return updated > 0;
    }

    /// <summary>Stores the latest connection check; health columns do not change <see cref="CloudSummary.UpdatedAt"/>.</summary>
    public async Task<bool> RecordHealthAsync(int id, ConnectionCheck check, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        var latency = check.RoundTrip?.TotalMilliseconds;
        var kind = check.ErrorKind?.ToString();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var updated = await db.Clouds.Where(c => c.Id == id)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.LastCheckedAt, at)
                .SetProperty(c => c.Reachable, check.Reachable)
                .SetProperty(c => c.LatencyMs, latency)
                .SetProperty(c => c.LastErrorKind, kind)
                .SetProperty(c => c.LastError, check.Error), cancellationToken)
            .ConfigureAwait(false);
        return updated > 0;
    }

    private static CloudSummary ToSummary(CloudEntity c) => new(
        c.Id, c.Host, c.Port, c.Username, c.ProtectedPassword is not null, c.KeyPath is not null, c.KeyPath,
        c.CountryCode, c.CountryName, c.Zone, c.Threshold, c.Pue, c.Label, c.HostKeyFingerprint, c.CreatedAt, c.UpdatedAt,
        c.LastCheckedAt, c.Reachable, c.LatencyMs, c.LastErrorKind, c.LastError);
}
