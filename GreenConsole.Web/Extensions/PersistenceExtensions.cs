using GreenConsole.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

public static class PersistenceExtensions
{
    /// <summary>
    /// SQLite database (options <c>Database</c>), its DbContext factory, and Data Protection with the key ring in
    /// <c>&lt;database folder&gt;/keys</c>. Call <see cref="MigrateGreenConsoleDatabaseAsync"/> before first use.
    /// </summary>
    public static IServiceCollection AddGreenConsolePersistence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(DatabaseOptions.SectionName);
        services.AddValidatedOptions<DatabaseOptions>(configuration, DatabaseOptions.SectionName);

        // Data Protection must know its key folder while services are registered, before options exist.
        // A blank path fails options validation at start; this copy only has to yield some folder until then.
        var database = section.Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (string.IsNullOrWhiteSpace(database.Path))
        {
            database.Path = DatabaseOptions.DefaultPath;
        }

        services.AddDataProtection()
            .SetApplicationName("GreenConsole")
            .PersistKeysToFileSystem(new DirectoryInfo(database.GetFullKeysPath()));

        services.AddDbContextFactory<GreenConsoleDbContext>((sp, builder) =>
            builder.UseSqlite(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.GetConnectionString()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CloudSecretProtector>();
        return services;
    }

    /// <summary>Creates the database folder and key folder and brings the schema to the latest version.</summary>
    public static async Task<SchemaMigrationResult> MigrateGreenConsoleDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;

        // The key ring decrypts every stored password: keep it readable by this user only. Unlike the database
        // folder, the key folder holds nothing else, so one left 0755 by an older build is tightened as well.
        OwnerOnlyFiles.CreateFolder(options.GetFullKeysPath());
        OwnerOnlyFiles.TightenFolder(options.GetFullKeysPath());

        var result = await SchemaMigrator.MigrateAsync(options.GetConnectionString(), services.GetRequiredService<TimeProvider>(), cancellationToken).ConfigureAwait(false);
        if (result.Applied.Count > 0)
        {
            services.GetService<ILoggerFactory>()?.CreateLogger(typeof(SchemaMigrator))
                .LogInformation("Database {Path} migrated from schema {From} to {To}", options.GetFullPath(), result.FromVersion, result.ToVersion);
        }

        return result;
    }
}
