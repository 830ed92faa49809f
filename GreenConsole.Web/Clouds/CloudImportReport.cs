using GreenConsole.Core.Clouds;

namespace GreenConsole.Web.Clouds;

public enum CloudImportMode
{
    /// <summary>Any rejected row means nothing is stored.</summary>
    AllOrNothing = 0,

    /// <summary>Valid rows are stored; rejected rows are reported.</summary>
    ValidRowsOnly = 1,
}

public enum CloudImportRowStatus
{
    /// <summary>Valid, but not stored because another row was rejected in all-or-nothing mode.</summary>
    Accepted,
    Created,
    Updated,
    Unchanged,
    Rejected,
}

/// <summary>One CSV row's outcome. Never holds the password.</summary>
public sealed record CloudImportRowResult(
    int RowNumber,
    CloudImportRowStatus Status,
    string? Host,
    int? Port,
    string? Username,
    string? Zone,
    IReadOnlyList<CsvIssue> Reasons,
    IReadOnlyList<CsvIssue> Warnings,
    int? CloudId);

/// <summary>
/// The outcome of an import. In a dry run, row statuses say what a real import would do (Created, Updated,
/// Unchanged) and <see cref="Stored"/> is false. <see cref="Stored"/> is true only when the transaction committed.
/// </summary>
public sealed record CloudImportReport(
    CloudImportMode Mode,
    bool DryRun,
    bool Stored,
    IReadOnlyList<CsvIssue> FileErrors,
    IReadOnlyList<CloudImportRowResult> Rows)
{
    public int Accepted => Count(CloudImportRowStatus.Accepted);
    public int Created => Count(CloudImportRowStatus.Created);
    public int Updated => Count(CloudImportRowStatus.Updated);
    public int Unchanged => Count(CloudImportRowStatus.Unchanged);
    public int Rejected => Count(CloudImportRowStatus.Rejected);
    public bool HasFileErrors => FileErrors.Count > 0;

    private int Count(CloudImportRowStatus status) => Rows.Count(r => r.Status == status);
}

/// <summary>A registered cloud as lists show it: no password, only whether one is set.</summary>
public sealed record CloudSummary(
    int Id,
    string Host,
    int Port,
    string Username,
    bool HasPassword,
    bool HasKey,
    string? KeyPath,
    string CountryCode,
    string CountryName,
    string Zone,
    double? ThresholdGPerKwh,
    double Pue,
    string? Label,
    string? HostKeyFingerprint,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastCheckedAt,
    bool? Reachable,
    double? LatencyMs,
    string? LastErrorKind,
    string? LastError)
{
    public string DisplayName => Label ?? $"{Username}@{Host}:{Port}";
}
