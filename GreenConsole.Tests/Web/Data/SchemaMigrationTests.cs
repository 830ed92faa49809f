using GreenConsole.Tests.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Web.Data;

public sealed class SchemaMigrationTests
{
    private static readonly CloudsTestClock Clock = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Scripts_are_embedded_in_order()
    {
        Assert.Equal([(1, "0001_initial"), (2, "0002_import_batches")], SchemaMigration.All.Take(2).Select(m => (m.Version, m.Name)));
        Assert.Contains(SchemaMigration.All, m => m.Name.EndsWith("_telemetry", StringComparison.Ordinal));
        Assert.Equal(SchemaMigration.All.Count, SchemaMigrator.LatestVersion);
    }

    [Fact]
    public async Task Migrated_schema_equals_the_model()
    {
        await using var db = DataTestDatabase.Create();
        var result = await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);
        Assert.Equal((0, SchemaMigrator.LatestVersion), (result.FromVersion, result.ToVersion));

        var modelPath = Path.Combine(db.Folder.FullName, "model.db");
        var modelConnection = new SqliteConnectionStringBuilder { DataSource = modelPath, Pooling = false }.ToString();
        await using (var model = new GreenConsoleDbContext(DataTestDatabase.OptionsFor(modelConnection)))
        {
            Assert.True(await model.Database.EnsureCreatedAsync());
        }

        var migrated = await DescribeSchemaAsync(db.ConnectionString);
        var expected = await DescribeSchemaAsync(modelConnection);

        Assert.Contains(expected, line => line.StartsWith("Clouds.column NaturalKey", StringComparison.Ordinal));
        Assert.Contains(expected, line => line.StartsWith("AspNetUsers.column", StringComparison.Ordinal));
        Assert.Equal(expected, migrated);
    }

    [Fact]
    public async Task Upgrade_from_v1_keeps_every_row()
    {
        await using var db = DataTestDatabase.Create();
        var options = db.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        await SchemaMigrator.MigrateAsync(options.GetConnectionString(), Clock, CancellationToken.None, targetVersion: 1);
        Assert.Equal(1, await SchemaMigrator.GetVersionAsync(db.ConnectionString, CancellationToken.None));
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'ImportBatches'"));

        await using (var context = db.NewContext())
        {
            for (var i = 0; i < 25; i++)
            {
                context.Clouds.Add(new CloudEntity
                {
                    NaturalKey = $"203.0.113.{i}:22:trainer",
                    Host = $"203.0.113.{i}",
                    Port = 22,
                    Username = "trainer",
                    ProtectedPassword = $"cipher-{i}",
                    CountryCode = "KR",
                    CountryName = "대한민국",
                    Zone = "KR",
                    Threshold = i,
                    Pue = 1.25,
                    Label = $"box {i}",
                    HostKeyFingerprint = $"SHA256:{i}",
                    CreatedAt = Clock.GetUtcNow(),
                    UpdatedAt = Clock.GetUtcNow().AddMinutes(i),
                    Reachable = i % 2 == 0,
                    LatencyMs = i * 1.5,
                });
            }

            context.Users.Add(new Microsoft.AspNetCore.Identity.IdentityUser { Id = "u1", UserName = "admin", NormalizedUserName = "ADMIN" });
            await context.SaveChangesAsync();
        }

        var before = await DumpAsync(db.ConnectionString, "Clouds");
        var usersBefore = await DumpAsync(db.ConnectionString, "AspNetUsers");

        var result = await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

        Assert.Equal((1, SchemaMigrator.LatestVersion), (result.FromVersion, result.ToVersion));
        Assert.Equal(SchemaMigration.All.Skip(1).Select(m => m.Name), result.Applied);
        Assert.Equal(25, before.Count);
        Assert.Equal(before, await DumpAsync(db.ConnectionString, "Clouds"));
        Assert.Equal(usersBefore, await DumpAsync(db.ConnectionString, "AspNetUsers"));
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM ImportBatches"));
    }

    [Fact]
    public async Task Migrating_twice_applies_nothing_the_second_time()
    {
        await using var db = DataTestDatabase.Create();
        await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

        var again = await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

        Assert.Empty(again.Applied);
        Assert.Equal((SchemaMigrator.LatestVersion, SchemaMigrator.LatestVersion), (again.FromVersion, again.ToVersion));
        Assert.Equal(SchemaMigrator.LatestVersion, await db.ScalarAsync("SELECT count(*) FROM __schema_version"));
    }

    [Fact]
    public async Task A_failing_script_rolls_back_every_pending_script()
    {
        await using var db = DataTestDatabase.Create();
        var options = db.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        await SchemaMigrator.MigrateAsync(options.GetConnectionString(), Clock, CancellationToken.None, targetVersion: 1);
        SchemaMigration[] scripts =
        [
            .. SchemaMigration.All.Take(1),
            new SchemaMigration(2, "0002_good", "CREATE TABLE \"Extra\" (\"Id\" INTEGER NOT NULL);"),
            new SchemaMigration(3, "0003_bad", "ALTER TABLE \"NoSuchTable\" ADD COLUMN \"X\" TEXT NULL;"),
        ];

        await Assert.ThrowsAsync<SqliteException>(() => SchemaMigrator.MigrateAsync(options.GetConnectionString(), Clock, CancellationToken.None, migrations: scripts));

        Assert.Equal(1, await SchemaMigrator.GetVersionAsync(db.ConnectionString, CancellationToken.None));
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'Extra'"));
    }

    [Fact]
    public async Task A_database_newer_than_the_build_is_refused()
    {
        await using var db = DataTestDatabase.Create();
        await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);
        await db.ScalarAsync("INSERT INTO __schema_version (Version, Name, AppliedAt) VALUES (99, '0099_future', '2030-01-01'); SELECT 0;");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None));

        Assert.Contains("version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Database_uses_wal_and_creates_its_folders()
    {
        await using var db = DataTestDatabase.Create();
        Assert.False(Directory.Exists(Path.GetDirectoryName(db.DatabasePath)));

        await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

        Assert.True(File.Exists(db.DatabasePath));
        await using var connection = new SqliteConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());

        var keys = new DirectoryInfo(Path.Combine(Path.GetDirectoryName(db.DatabasePath)!, "keys"));
        Assert.True(keys.Exists);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, keys.UnixFileMode);
    }

    [Fact]
    public void Relative_database_path_resolves_against_the_working_directory()
    {
        var options = new DatabaseOptions();

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data", "greenconsole.db"), options.GetFullPath());
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data", "keys"), options.GetFullKeysPath());
    }

    [Theory]
    [InlineData("")]
    [InlineData(":memory:")]
    [InlineData("data/")]
    public void Invalid_database_path_fails_validation(string path)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Path"] = path }).Build();
        var services = new ServiceCollection().AddLogging().AddGreenConsolePersistence(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DatabaseOptions>>().Value);

        Assert.Contains("Path", string.Join(";", error.Failures), StringComparison.Ordinal);
    }

    /// <summary>Tables, columns, indexes and foreign keys as sorted text lines, ignoring the version table.</summary>
    private static async Task<List<string>> DescribeSchemaAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var tables = await QueryAsync(connection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__schema_version' ORDER BY name");
        var lines = new List<string>();
        foreach (var table in tables.Select(t => t[0]))
        {
            lines.Add($"table {table}");
            foreach (var c in await QueryAsync(connection, $"SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo('{table}')"))
            {
                lines.Add($"{table}.column {string.Join(' ', c)}");
            }

            foreach (var index in await QueryAsync(connection, $"SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}')"))
            {
                var columns = await QueryAsync(connection, $"SELECT name FROM pragma_index_info('{index[0]}') ORDER BY seqno");
                lines.Add($"{table}.index {string.Join(' ', index)} ({string.Join(',', columns.Select(c => c[0]))})");
            }

            foreach (var fk in await QueryAsync(connection, $"SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{table}')"))
            {
                lines.Add($"{table}.fk {string.Join(' ', fk)}");
            }
        }

        foreach (var sql in await QueryAsync(connection, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        {
            lines.Add($"index-sql {string.Join(' ', sql)}");
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static async Task<List<string>> DumpAsync(string connectionString, string table)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        return (await QueryAsync(connection, $"SELECT * FROM \"{table}\" ORDER BY 1")).Select(r => string.Join('|', r)).ToList();
    }

    private static async Task<List<string[]>> QueryAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            }

            rows.Add(row);
        }

        return rows;
    }
}
