using GreenConsole.Tests.Support;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Components;

/// <summary>
/// Registers the app's real persistence, cloud registry and job services over a fresh SQLite file, so a page under
/// bUnit talks to the same classes it does in the app (nothing is mocked; no cloud is contacted unless a test asks).
/// </summary>
internal static class PageTestServices
{
    public static string AddRealJobServices(this MudTestContext context)
    {
        var folder = Path.Combine(Path.GetTempPath(), "gc-bunit-" + Guid.NewGuid().ToString("N")[..8]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Path"] = Path.Combine(folder, "greenconsole.db"),
            ["Ssh:DataDirectory"] = Path.Combine(folder, "ssh"),
            ["Carbon:Trace:FilePath"] = TelemetryRepoPaths.HourlyTrace,
        }).Build();
        var services = context.Services;
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGreenConsolePersistence(configuration);
        services.AddGreenConsoleCloudRegistry();
        services.AddGreenConsoleJobServices(configuration);
        services.AddSingleton<GreenConsole.Web.Health.CloudHealthStore>();
        services.AddOptions<GreenConsole.Web.Health.HealthOptions>();
        services.AddSingleton<GreenConsole.Web.Health.CloudHealthChecker>();
        services.AddSingleton<GreenConsole.Web.Clouds.HostKeyTrustService>();
        services.AddScoped<GreenConsole.Web.Clouds.CloudImportViewModel>();
        return folder;
    }

    public static async Task MigrateAsync(this MudTestContext context) =>
        await context.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);

    /// <summary>Identity over the same SQLite file, and the display preferences kept on its accounts.</summary>
    public static void AddRealIdentity(this MudTestContext context)
    {
        context.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<GreenConsoleDbContext>();
        context.Services.AddScoped<UserPreferences>();
    }

    /// <summary>Migrates the database and registers the shipped sample CSV's clouds through the real import.</summary>
    public static async Task<IReadOnlyList<CloudSummary>> ImportSampleCloudsAsync(this MudTestContext context)
    {
        await context.MigrateAsync();
        await using (var csv = File.OpenRead(Path.Combine(TelemetryRepoPaths.Root, "ssh_data.sample.csv")))
        {
            var report = await context.Services.GetRequiredService<CloudImportService>().ImportAsync(csv, CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);
            Assert.True(report.Stored);
        }

        return await context.Services.GetRequiredService<CloudRepository>().ListAsync(CancellationToken.None);
    }
}
