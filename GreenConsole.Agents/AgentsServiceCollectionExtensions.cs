using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GreenConsole.Agents;

public static class AgentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the OpenSSH control plane as the singleton <see cref="IRemoteShell"/>, bound to the "Ssh" section and
    /// validated at start. The container disposes it on shutdown, which closes every master connection.
    /// </summary>
    public static IServiceCollection AddGreenConsoleSsh(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // The web app and the jobs services both ask for SSH; register it once so options bind and validate once.
        if (services.Any(d => d.ServiceType == typeof(OpenSshRemoteShell)))
        {
            return services;
        }

        services.AddValidatedOptions<OpenSshOptions>(configuration, OpenSshOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OpenSshRemoteShell>();
        services.TryAddSingleton<IRemoteShell>(sp => sp.GetRequiredService<OpenSshRemoteShell>());
        services.TryAddSingleton<IRemoteTerminalLauncher, Terminal.SshTerminalLauncher>();
        return services;
    }
}
