using GreenConsole.Agents.Carbon;
using GreenConsole.Agents.Carbon.Chain;
using GreenConsole.Agents.Carbon.ElectricityMaps;
using GreenConsole.Agents.Carbon.Trace;
using GreenConsole.Agents.Carbon.Yearly;
using GreenConsole.Agents.Probes;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Registers the carbon sources and the resilient chain. Resolve <see cref="ICarbonIntensityProvider"/> (the
    /// chain) for values and <see cref="ICarbonProviderHealth"/> for the UI's health panel. Sections: "Carbon",
    /// "Carbon:Trace", "Carbon:Yearly", "Carbon:ElectricityMaps" (token also from ELECTRICITYMAPS_TOKEN).
    /// </summary>
    public static IServiceCollection AddGreenConsoleCarbon(this IServiceCollection services, IConfiguration configuration)
    {
        // Telemetry, jobs and the dashboard each need the chain; only the first call registers it, so options are
        // bound and validated once.
        if (services.Any(d => d.ServiceType == typeof(ResilientCarbonIntensityProvider)))
        {
            return services;
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<CarbonOptions>(configuration, CarbonOptions.SectionName);
        services.AddValidatedOptions<CarbonSignalOptions>(configuration, CarbonSignalOptions.SectionName);
        services.AddValidatedOptions<CarbonTraceOptions>(configuration, CarbonTraceOptions.SectionName);
        services.AddValidatedOptions<CarbonYearlyOptions>(configuration, CarbonYearlyOptions.SectionName);
        // Validation runs after every post-configure step, so the token from the environment is validated too.
        services.AddValidatedOptions<ElectricityMapsOptions>(configuration, ElectricityMapsOptions.SectionName)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.Token))
                {
                    o.Token = Environment.GetEnvironmentVariable(ElectricityMapsOptions.TokenEnvironmentVariable);
                }
            });

        services.AddHttpClient(ElectricityMapsClient.HttpClientName, (sp, http) =>
        {
            http.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ElectricityMapsOptions>>().Value.TimeoutSeconds);
        });
        services.TryAddSingleton<ElectricityMapsClient>();
        services.TryAddSingleton<ElectricityMapsCarbonIntensityProvider>();
        services.TryAddSingleton<TraceCarbonIntensityProvider>();
        services.TryAddSingleton<YearlyCarbonIntensityProvider>();
        services.TryAddSingleton(sp =>
        {
            var providers = new List<ICarbonIntensityProvider>();
            if (sp.GetRequiredService<IOptions<ElectricityMapsOptions>>().Value.Enabled)
            {
                providers.Add(sp.GetRequiredService<ElectricityMapsCarbonIntensityProvider>());
            }

            providers.Add(sp.GetRequiredService<TraceCarbonIntensityProvider>());
            providers.Add(sp.GetRequiredService<YearlyCarbonIntensityProvider>());
            return new ResilientCarbonIntensityProvider(
                providers,
                sp.GetRequiredService<IOptions<CarbonOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ResilientCarbonIntensityProvider>>());
        });
        services.TryAddSingleton<ICarbonIntensityProvider>(sp => sp.GetRequiredService<ResilientCarbonIntensityProvider>());
        services.TryAddSingleton<ICarbonProviderHealth>(sp => sp.GetRequiredService<ResilientCarbonIntensityProvider>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IHardwareProbe"/>: one long-lived probe loop per cloud over its master connection
    /// (Probes:PersistentSessions, default on), else one batched SSH command per poll. Needs an
    /// <see cref="Core.Remote.IRemoteShell"/> registration (the SSH adapter). Section: "Probes".
    /// </summary>
    public static IServiceCollection AddGreenConsoleProbes(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<ProbeOptions>(configuration, ProbeOptions.SectionName);
        services.TryAddSingleton<IHardwareProbe, SshHardwareProbe>();
        return services;
    }
}
