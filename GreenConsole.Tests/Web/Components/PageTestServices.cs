using GreenConsole.Tests.Support;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
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
}
