using System.ComponentModel.DataAnnotations;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Web.Data;

/// <summary>Settings under <c>Database</c>.</summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string SectionName = "Database";
    public const string DefaultPath = "data/greenconsole.db";

    /// <summary>SQLite file; a relative path is taken from the current working directory.</summary>
    [Required]
    public string Path { get; set; } = DefaultPath;

    /// <summary>Folder of the Data Protection key ring; default: <c>keys</c> beside the database file.</summary>
    public string? KeysPath { get; set; }

    /// <summary>Seconds a command waits for a lock held by another connection.</summary>
    [Range(1, 600)]
    public int BusyTimeoutSeconds { get; set; } = 30;

    public string GetFullPath() => System.IO.Path.GetFullPath(Path);

    public string GetFullKeysPath() => System.IO.Path.GetFullPath(KeysPath ?? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(GetFullPath())!, "keys"));

    public string GetConnectionString() => new SqliteConnectionStringBuilder
    {
        DataSource = GetFullPath(),
        Mode = SqliteOpenMode.ReadWriteCreate,
        DefaultTimeout = BusyTimeoutSeconds,
        ForeignKeys = true,
    }.ToString();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Path) || Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0 || Path.EndsWith('/') || Path.EndsWith('\\'))
        {
            yield return new ValidationResult($"Database:Path \"{Path}\" is not a file path", [nameof(Path)]);
        }
        else if (Path.StartsWith(":memory:", StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult("Database:Path must be a file; in-memory databases lose every cloud at exit", [nameof(Path)]);
        }
    }
}
