using GreenConsole.Agents;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Agents.Carbon;

/// <summary>Builds the carbon services exactly as the app registers them, with test configuration and clock.</summary>
internal static class CarbonTestHost
{
    public static ServiceProvider Build(TimeProvider clock, IDictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Carbon:Trace:FilePath"] = TelemetryRepoPaths.HourlyTrace,
            ["Carbon:Yearly:FilePath"] = TelemetryRepoPaths.Yearly,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(clock);
        services.AddGreenConsoleCarbon(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
