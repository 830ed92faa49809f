using GreenConsole.Core.Remote;

namespace GreenConsole.Web.Clouds;

/// <summary>What an administrator compares before re-trusting a cloud: the pinned fingerprint and what the host presents now.</summary>
public sealed record HostKeyReview(int CloudId, string Endpoint, string? Pinned, IReadOnlyList<string> Presented)
{
    /// <summary>True when the host presents no key matching the pin (or nothing is pinned yet).</summary>
    public bool Differs => Pinned is null || !Presented.Contains(Pinned, StringComparer.Ordinal);
}

/// <summary>
/// Re-trusting a legitimately re-keyed host. GreenConsole never re-pins by itself (a changed key may be an attack);
/// an administrator reviews the fingerprint the host presents, checks it out of band, and pins exactly that one.
/// </summary>
public sealed class HostKeyTrustService(CloudRepository clouds, IRemoteShell shell, ILogger<HostKeyTrustService> logger)
{
    public async Task<HostKeyReview> ReviewAsync(int cloudId, CancellationToken cancellationToken) =>
        (await ReviewWithTargetAsync(cloudId, cancellationToken).ConfigureAwait(false)).Review;

    private async Task<(HostKeyReview Review, SshTarget Target)> ReviewWithTargetAsync(int cloudId, CancellationToken cancellationToken)
    {
        var target = await clouds.GetTargetAsync(cloudId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No cloud {cloudId} is registered.");
        var presented = await shell.ReadHostKeysAsync(target, cancellationToken).ConfigureAwait(false);
        return (new HostKeyReview(cloudId, target.ToString(), target.PinnedFingerprint, presented), target);
    }

    /// <summary>
    /// Pins <paramref name="fingerprint"/> for the cloud, but only if the host presents it right now: a key that
    /// changed again since the review is refused and nothing is stored.
    /// </summary>
    public async Task<HostKeyReview> TrustAsync(int cloudId, string fingerprint, string userName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fingerprint);
        fingerprint = fingerprint.Trim();
        var (review, target) = await ReviewWithTargetAsync(cloudId, cancellationToken).ConfigureAwait(false);
        if (!review.Presented.Contains(fingerprint, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"Cloud {cloudId} ({review.Endpoint}) does not present {fingerprint} now (it presents {string.Join(", ", review.Presented)}); nothing was changed.");
        }

        if (!await clouds.PinFingerprintAsync(cloudId, fingerprint, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"No cloud {cloudId} is registered.");
        }

        // A master still connected under the old key must not outlive the decision.
        await shell.DisconnectAsync(target, cancellationToken).ConfigureAwait(false);

        logger.LogWarning("{User} re-trusted the host key of cloud {CloudId} ({Endpoint}): {Old} -> {New}",
            userName, cloudId, review.Endpoint, review.Pinned ?? "none pinned", fingerprint);
        return review with { Pinned = fingerprint };
    }
}
