using GreenConsole.Agents.Ssh;
using GreenConsole.Agents.Ssh.SshNet;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents;

public static class AgentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SSH control plane as the singleton <see cref="IRemoteShell"/> and terminal launcher, bound to the
    /// "Ssh" section and validated at start: SSH.NET unless Ssh:Client is OpenSsh. The container disposes the one in
    /// use on shutdown, which closes every connection.
    /// </summary>
    public static IServiceCollection AddGreenConsoleSsh(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // The web app and the jobs services both ask for SSH; register it once so options bind and validate once.
        if (services.Any(d => d.ServiceType == typeof(SshNetRemoteShell)))
        {
            return services;
        }

        services.AddValidatedOptions<SshOptions>(configuration, SshOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        // Both are registered; only the chosen one is ever built, so the other opens nothing and writes no files.
        services.TryAddSingleton<SshNetRemoteShell>();
        services.TryAddSingleton<OpenSshRemoteShell>();
        services.TryAddSingleton<IRemoteShell>(sp => UsesOpenSsh(sp)
            ? sp.GetRequiredService<OpenSshRemoteShell>()
            : sp.GetRequiredService<SshNetRemoteShell>());
        services.TryAddSingleton<SshNetTerminalLauncher>();
        services.TryAddSingleton<Terminal.SshTerminalLauncher>();
        services.TryAddSingleton<IRemoteTerminalLauncher>(sp => UsesOpenSsh(sp)
            ? sp.GetRequiredService<Terminal.SshTerminalLauncher>()
            : sp.GetRequiredService<SshNetTerminalLauncher>());
        return services;
    }

    private static bool UsesOpenSsh(IServiceProvider services) =>
        services.GetRequiredService<IOptions<SshOptions>>().Value.Client == SshClientKind.OpenSsh;
}
