using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Web.Data;

/// <summary>One schema script, Data/Migrations/NNNN_name.sql, embedded in the assembly.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    public const string ResourcePrefix = "GreenConsole.Migrations.";

    /// <summary>All embedded scripts, ordered by version; versions must be 1, 2, 3, ... without gaps.</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } = Load(typeof(SchemaMigration).Assembly);

    public static IReadOnlyList<SchemaMigration> Load(Assembly assembly)
    {
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var fileName = resource[ResourcePrefix.Length..];
            var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(fileName[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration script {fileName} is not named NNNN_name.sql");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new SchemaMigration(version, Path.GetFileNameWithoutExtension(fileName), reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migration scripts must be numbered 1, 2, 3, ...; found {migrations[i].Name} at position {i + 1}");
            }
        }

        return migrations;
    }
}

public sealed record SchemaMigrationResult(int FromVersion, int ToVersion, IReadOnlyList<string> Applied);

/// <summary>
/// Hand-rolled schema versioning (no EF design-time tooling is available here): the scripts in Data/Migrations are
/// applied in order, all pending ones in one transaction, and the applied versions are recorded in
/// <c>__schema_version</c>. The database is switched to WAL so the web app and the CLI can share it.
/// </summary>
public static class SchemaMigrator
{
    public const string VersionTable = "__schema_version";

    public static int LatestVersion => SchemaMigration.All.Count == 0 ? 0 : SchemaMigration.All[^1].Version;

    public static async Task<SchemaMigrationResult> MigrateAsync(
        string connectionString,
        TimeProvider time,
        CancellationToken cancellationToken,
        int? targetVersion = null,
        IReadOnlyList<SchemaMigration>? migrations = null)
    {
        migrations ??= SchemaMigration.All;
        var target = targetVersion ?? (migrations.Count == 0 ? 0 : migrations[^1].Version);

        var databasePath = PrepareDatabaseFile(new SqliteConnectionStringBuilder(connectionString));

        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        if (databasePath is not null)
        {
            // SQLite gives new -wal and -shm files the database file's mode, but ones left by an older build keep 0644.
            OwnerOnlyFiles.TightenFile(databasePath + "-wal");
            OwnerOnlyFiles.TightenFile(databasePath + "-shm");
        }

        await ExecuteAsync(connection, null,
            $"CREATE TABLE IF NOT EXISTS \"{VersionTable}\" (\"Version\" INTEGER NOT NULL CONSTRAINT \"PK___schema_version\" PRIMARY KEY, \"Name\" TEXT NOT NULL, \"AppliedAt\" TEXT NOT NULL);",
            cancellationToken).ConfigureAwait(false);

        // BEGIN IMMEDIATE takes the write lock up front, so a CLI and the web app starting together cannot both
        // read "version 1" and apply script 2 twice.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = await GetVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var known = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (current > known)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {current}, newer than this build knows ({known}); use a newer GreenConsole or another Database:Path.");
        }

        var applied = new List<string>();
        var reached = current;
        foreach (var migration in migrations.Where(m => m.Version > current && m.Version <= target))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = $"INSERT INTO \"{VersionTable}\" (\"Version\", \"Name\", \"AppliedAt\") VALUES ($v, $n, $a);";
            record.Parameters.AddWithValue("$v", migration.Version);
            record.Parameters.AddWithValue("$n", migration.Name);
            record.Parameters.AddWithValue("$a", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Name);
            reached = migration.Version;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new SchemaMigrationResult(current, reached, applied);
    }

    /// <summary>
    /// Makes the database file owner-only before SQLite opens it: it holds the password hashes, and SQLite would create
    /// it with the umask's mode (0644 by default). Returns its full path, or null for an in-memory or URI database.
    /// </summary>
    private static string? PrepareDatabaseFile(SqliteConnectionStringBuilder builder)
    {
        var dataSource = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory
            || string.IsNullOrEmpty(dataSource)
            || dataSource.Equals(":memory:", StringComparison.OrdinalIgnoreCase)
            || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var path = Path.GetFullPath(dataSource);
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            // Only a folder created here is made 0700. An existing one is left alone: the default data/ also holds
            // data/carbon and may be shared on purpose, and the 0600 file mode is what keeps the hashes private.
            OwnerOnlyFiles.CreateFolder(folder);
        }

        // Creating the file ourselves is the only way to choose its mode; without Create in the mode SQLite must
        // not find a new empty database either, so the missing file is left for it to report.
        if (builder.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            OwnerOnlyFiles.CreateFile(path);
        }

        // Databases created by builds before this one are 0644.
        OwnerOnlyFiles.TightenFile(path);
        return path;
    }

    public static async Task<int> GetVersionAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $t;";
        exists.Parameters.AddWithValue("$t", VersionTable);
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        return await GetVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> GetVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT COALESCE(MAX(\"Version\"), 0) FROM \"{VersionTable}\";";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
