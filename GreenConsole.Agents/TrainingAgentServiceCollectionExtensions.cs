using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GreenConsole.Agents;

public static class TrainingAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ITrainingAgent"/> over the registered <see cref="Core.Remote.IRemoteShell"/> (see
    /// <see cref="AgentsServiceCollectionExtensions.AddGreenConsoleSsh"/>). Section: "Training".
    /// </summary>
    public static IServiceCollection AddGreenConsoleTrainingAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<TrainingAgentOptions>(configuration, TrainingAgentOptions.SectionName);
        services.TryAddSingleton<ITrainingAgent, RemoteTrainingAgent>();
        services.TryAddSingleton<IProjectSync, Training.Projects.ProjectSync>();
        services.TryAddSingleton<ICloudPreflight, Training.Preflight.RemotePreflight>();
        return services;
    }
}
