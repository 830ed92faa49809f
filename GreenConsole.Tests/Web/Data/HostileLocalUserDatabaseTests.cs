using System.Runtime.Versioning;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Tests.Web.Data;

/// <summary>
/// Another account on the same machine must not read the password hashes: the database, its -wal and -shm and the
/// key ring are owner-only. Unix modes only, so not on Windows (the project builds for linux-x64).
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class HostileLocalUserDatabaseTests : IDisposable
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode WorldReadableFile = OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode WorldReadableFolder = OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("gc-hostile-db-");

    private string DatabaseFolder => Path.Combine(_root.FullName, "db");

    private string DatabasePath => Path.Combine(DatabaseFolder, "greenconsole.db");

    private string ConnectionString => new DatabaseOptions { Path = DatabasePath }.GetConnectionString();

    [Fact]
    public async Task A_fresh_database_and_the_folder_created_for_it_are_owner_only()
    {
        Assert.False(Directory.Exists(DatabaseFolder));

        await SchemaMigrator.MigrateAsync(ConnectionString, TimeProvider.System, CancellationToken.None);

        Assert.Equal(OwnerFolder, FolderMode(DatabaseFolder));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(DatabasePath));
        // The pooled connection keeps the WAL files open, so they normally exist here; if not, there is nothing to read.
        foreach (var sidecar in new[] { DatabasePath + "-wal", DatabasePath + "-shm" }.Where(File.Exists))
        {
            Assert.Equal(OwnerFile, File.GetUnixFileMode(sidecar));
        }

        Assert.Equal(SchemaMigrator.LatestVersion, await SchemaMigrator.GetVersionAsync(ConnectionString, CancellationToken.None));
    }

    [Fact]
    public async Task A_world_readable_database_from_an_older_build_is_tightened()
    {
        // As an older build left it: folder 0755, database and WAL files 0644, another connection still open.
        Directory.CreateDirectory(DatabaseFolder);
        new DirectoryInfo(DatabaseFolder).UnixFileMode = WorldReadableFolder;
        await using var older = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await older.OpenAsync();
        await using (var command = older.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE leftover (x INTEGER); INSERT INTO leftover VALUES (1);";
            await command.ExecuteNonQueryAsync();
        }

        var files = new[] { DatabasePath, DatabasePath + "-wal", DatabasePath + "-shm" };
        foreach (var file in files)
        {
            Assert.True(File.Exists(file), file);
            File.SetUnixFileMode(file, WorldReadableFile);
        }

        await SchemaMigrator.MigrateAsync(ConnectionString, TimeProvider.System, CancellationToken.None);

        Assert.All(files, file => Assert.Equal(OwnerFile, File.GetUnixFileMode(file)));
        // A folder that already existed is not ours to change (data/ also holds data/carbon); the file mode protects.
        Assert.Equal(WorldReadableFolder, FolderMode(DatabaseFolder));
    }

    [Fact]
    public async Task An_existing_empty_database_file_is_tightened_and_migrated()
    {
        Directory.CreateDirectory(DatabaseFolder);
        await File.WriteAllBytesAsync(DatabasePath, []);
        File.SetUnixFileMode(DatabasePath, WorldReadableFile);

        var result = await SchemaMigrator.MigrateAsync(ConnectionString, TimeProvider.System, CancellationToken.None);

        Assert.Equal((0, SchemaMigrator.LatestVersion), (result.FromVersion, result.ToVersion));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(DatabasePath));
    }

    [Fact]
    public async Task The_key_folder_is_owner_only_even_when_it_already_existed()
    {
        await using var db = DataTestDatabase.Create(folder: _root.FullName);
        var keys = Path.Combine(DatabaseFolder, "keys");
        Directory.CreateDirectory(keys);
        new DirectoryInfo(keys).UnixFileMode = WorldReadableFolder;

        await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

        Assert.Equal(OwnerFolder, FolderMode(keys));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(DatabasePath));
    }

    private static UnixFileMode FolderMode(string folder) => new DirectoryInfo(folder).UnixFileMode;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        // DataTestDatabase may have removed the folder already.
        if (Directory.Exists(_root.FullName))
        {
            _root.Delete(recursive: true);
        }
    }
}
