namespace GreenConsole.Core.Clouds;

/// <summary>
/// One problem found in a cloud CSV. <see cref="Row"/> is the 1-based line number in the file where the record
/// starts (the header is line 1, so the first data row is usually row 2); null for file-level issues.
/// Messages never contain a password.
/// </summary>
public sealed record CsvIssue(int? Row, string? Field, string Message)
{
    public override string ToString() => (Row, Field) switch
    {
        (null, null) => Message,
        (null, _) => $"{Field}: {Message}",
        (_, null) => $"row {Row}: {Message}",
        _ => $"row {Row}, {Field}: {Message}",
    };
}

/// <summary>One data row of a cloud CSV: the parsed cloud when the row is valid, otherwise its errors.</summary>
public sealed record CloudCsvRow(int RowNumber, CloudDefinition? Cloud, IReadOnlyList<CsvIssue> Errors, IReadOnlyList<CsvIssue> Warnings)
{
    public bool IsValid => Cloud is not null && Errors.Count == 0;

    /// <summary>The row's host as written, so that reports can name a rejected row's cloud.</summary>
    public string? RawHost { get; init; }

    public string? RawPort { get; init; }

    public string? RawUsername { get; init; }
}

public sealed record CloudCsvParseResult(IReadOnlyList<CloudCsvRow> Rows, IReadOnlyList<CsvIssue> FileErrors)
{
    public bool HasErrors => FileErrors.Count > 0 || Rows.Any(r => !r.IsValid);

    public IEnumerable<CsvIssue> AllErrors => FileErrors.Concat(Rows.SelectMany(r => r.Errors));

    public IEnumerable<CsvIssue> AllWarnings => Rows.SelectMany(r => r.Warnings);
}

public sealed class CloudCsvOptions
{
    public const long DefaultMaxBytes = 1024 * 1024;

    /// <summary>Files larger than this are refused before parsing (default 1 MiB).</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    public static CloudCsvOptions Default { get; } = new();
}
