namespace GreenConsole.Web.Data;

/// <summary>A registered cloud server. The password is stored only as Data Protection ciphertext.</summary>
public sealed class CloudEntity
{
    public int Id { get; set; }

    /// <summary>host:port:user (see <see cref="GreenConsole.Core.Clouds.CloudKey"/>), unique.</summary>
    public required string NaturalKey { get; set; }

    public required string Host { get; set; }
    public int Port { get; set; }
    public required string Username { get; set; }
    public string? ProtectedPassword { get; set; }
    public string? KeyPath { get; set; }
    public required string CountryCode { get; set; }
    public required string CountryName { get; set; }
    public required string Zone { get; set; }
    public double? Threshold { get; set; }
    public double Pue { get; set; } = 1.0;
    public string? Label { get; set; }
    public string? HostKeyFingerprint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? LastCheckedAt { get; set; }
    public bool? Reachable { get; set; }
    public double? LatencyMs { get; set; }
    public string? LastErrorKind { get; set; }
    public string? LastError { get; set; }
}

/// <summary>Audit record of one stored CSV import (schema v2).</summary>
public sealed class ImportBatchEntity
{
    public int Id { get; set; }
    public DateTimeOffset ImportedAt { get; set; }
    public required string Mode { get; set; }
    public int TotalRows { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }
    public int Rejected { get; set; }
}
