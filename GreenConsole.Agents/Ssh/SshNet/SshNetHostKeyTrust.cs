using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Agents.Ssh.SshNet;

/// <summary>
/// The controller's trust in host keys, in the same known_hosts file (one alias per cloud) that the OpenSSH client
/// uses: a pin wins; without one the first key is trusted and any other key later is refused until an administrator
/// re-trusts the host.
/// </summary>
internal sealed class SshNetHostKeyTrust(string knownHostsFile, ILogger logger)
{
    private readonly object _gate = new();

    public string KnownHostsFile { get; } = knownHostsFile;

    /// <summary>The fingerprint trusted for a target now, or null before its first connection.</summary>
    public string? Trusted(SshTarget target) =>
        KnownHosts.Read(KnownHostsFile, SshTargetRules.HostKeyAlias(target)).FirstOrDefault()?.Fingerprint;

    /// <summary>The key types this cloud is trusted with, so that key exchange asks for those first (as OpenSSH does).</summary>
    public IReadOnlyList<string> TrustedKeyTypes(SshTarget target) =>
        [.. KnownHosts.Read(KnownHostsFile, SshTargetRules.HostKeyAlias(target)).Select(e => e.KeyType).Distinct(StringComparer.Ordinal)];

    public HostKeyVerdict Decide(SshTarget target, string keyType, byte[] keyBlob)
    {
        var presented = new KnownHosts.Entry(SshTargetRules.HostKeyAlias(target), keyType, Convert.ToBase64String(keyBlob));
        var fingerprint = presented.Fingerprint;
        lock (_gate)
        {
            var known = KnownHosts.Read(KnownHostsFile, presented.Host);
            if (target.PinnedFingerprint is { Length: > 0 } pin)
            {
                if (!KnownHosts.SameFingerprint(fingerprint, pin))
                {
                    return HostKeyVerdict.Refuse(fingerprint, $"pinned {pin}, the host now presents {fingerprint}");
                }

                if (known.Count == 0 || !known.All(e => KnownHosts.SameFingerprint(e.Fingerprint, pin)))
                {
                    KnownHosts.Replace(KnownHostsFile, presented.Host, presented);
                }

                return HostKeyVerdict.Trust(fingerprint);
            }

            if (known.Count > 0)
            {
                return known.Any(e => KnownHosts.SameFingerprint(e.Fingerprint, fingerprint))
                    ? HostKeyVerdict.Trust(fingerprint)
                    : HostKeyVerdict.Refuse(fingerprint, $"trusted {known[0].Fingerprint}, the host now presents {fingerprint}");
            }

            KnownHosts.Replace(KnownHostsFile, presented.Host, presented);
        }

        logger.LogInformation("Trusted the host key of {Cloud} ({Endpoint}) on first use: {Fingerprint}", target.CloudId, target.ToString(), fingerprint);
        return HostKeyVerdict.Trust(fingerprint);
    }
}

internal sealed record HostKeyVerdict(bool Trusted, string Fingerprint, string? Refusal)
{
    public static HostKeyVerdict Trust(string fingerprint) => new(true, fingerprint, null);

    public static HostKeyVerdict Refuse(string fingerprint, string why) => new(false, fingerprint, why);
}
