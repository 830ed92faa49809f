using GreenConsole.Web.Clouds;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GreenConsole.Web.Extensions;

public static class CloudRegistryExtensions
{
    /// <summary>The CSV import service and the cloud repository (needs <see cref="PersistenceExtensions.AddGreenConsolePersistence"/>).</summary>
    public static IServiceCollection AddGreenConsoleCloudRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CloudImportService>();
        services.TryAddSingleton<CloudRepository>();
        services.TryAddSingleton<CloudRemoval>();
        return services;
    }
}
