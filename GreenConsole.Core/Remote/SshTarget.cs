namespace GreenConsole.Core.Remote;

/// <summary>Everything needed to reach one cloud over SSH. Secrets stay in memory and never reach a command line.</summary>
public sealed record SshTarget
{
    /// <summary>Stable identifier used for per-cloud resources such as the ControlMaster socket.</summary>
    public required string CloudId { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 22;
    public required string Username { get; init; }
    public string? Password { get; init; }
    public string? KeyPath { get; init; }

    /// <summary>The pinned host-key fingerprint (SHA256:...), or null to trust on first use.</summary>
    public string? PinnedFingerprint { get; init; }

    public override string ToString() => $"{Username}@{Host}:{Port}";
}
