using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Tests.Web.Data;

/// <summary>A temporary folder with a GreenConsole database file and a service provider over it.</summary>
public sealed class DataTestDatabase : IAsyncDisposable
{
    private DataTestDatabase(DirectoryInfo folder, ServiceProvider services)
    {
        Folder = folder;
        Services = services;
    }

    public DirectoryInfo Folder { get; }

    public ServiceProvider Services { get; }

    public string DatabasePath => Path.Combine(Folder.FullName, "db", "greenconsole.db");

    public string ConnectionString => new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString();

    public static DataTestDatabase Create(TimeProvider? time = null, string? folder = null, string? keysPath = null)
    {
        var dir = folder is null ? Directory.CreateTempSubdirectory("gc-data-test-") : new DirectoryInfo(folder);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Path"] = Path.Combine(dir.FullName, "db", "greenconsole.db"),
                ["Database:KeysPath"] = keysPath,
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddGreenConsolePersistence(configuration);
        services.AddGreenConsoleCloudRegistry();
        return new DataTestDatabase(dir, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    public static DbContextOptions<GreenConsoleDbContext> OptionsFor(string connectionString) =>
        new DbContextOptionsBuilder<GreenConsoleDbContext>().UseSqlite(connectionString).Options;

    public GreenConsoleDbContext NewContext() => Services.GetRequiredService<IDbContextFactory<GreenConsoleDbContext>>().CreateDbContext();

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Delete(recursive: true);
    }
}
