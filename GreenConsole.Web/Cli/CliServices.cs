using GreenConsole.Agents;
using GreenConsole.Web.Extensions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GreenConsole.Web.Cli;

/// <summary>The parts of the app a verb needs; each is the same <c>AddXxx</c> module the web app registers.</summary>
[Flags]
public enum CliModules
{
    None = 0,
    Persistence = 1,
    CloudRegistry = 2 | Persistence,
    Ssh = 4,
    Carbon = 8,
    Telemetry = 16 | CloudRegistry | Ssh,
    Jobs = 32 | CloudRegistry,
}

/// <summary>
/// The one composition path of every verb: <see cref="Host.CreateApplicationBuilder(HostApplicationBuilderSettings)"/>
/// over the verb's configuration, the web app's own modules, one logging policy (warnings and worse to stderr, so that
/// stdout carries only the verb's answer) and validated scopes. The host is built, never started: a verb runs no
/// background services.
/// </summary>
public static class CliServices
{
    public static CliScope Build(IConfiguration configuration, CliModules modules, LogLevel minimumLevel = LogLevel.Warning,
        Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.SetMinimumLevel(minimumLevel)
            // Data Protection's note about unencrypted keys (the key folder is private to this user) would repeat on
            // every first run, EF Core's on every query.
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error)
            .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Error)
            // The verbs report what the import did; the importer's own warnings would say it twice.
            .AddFilter("GreenConsole.Web.Clouds", LogLevel.Error)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        configure?.Invoke(services);
        if (modules.HasFlag(CliModules.Persistence))
        {
            services.AddGreenConsolePersistence(builder.Configuration);
        }

        if (modules.HasFlag(CliModules.CloudRegistry))
        {
            services.AddGreenConsoleCloudRegistry();
        }

        if (modules.HasFlag(CliModules.Ssh))
        {
            services.AddGreenConsoleSsh(builder.Configuration);
        }

        if (modules.HasFlag(CliModules.Carbon))
        {
            services.AddGreenConsoleCarbon(builder.Configuration);
        }

        if ((modules & CliModules.Telemetry) == CliModules.Telemetry)
        {
            services.AddGreenConsoleTelemetryServices(builder.Configuration);
        }

        if ((modules & CliModules.Jobs) == CliModules.Jobs)
        {
            services.AddGreenConsoleJobServices(builder.Configuration);
        }

        return new CliScope(builder.Build());
    }
}

/// <summary>A verb's services; disposed asynchronously, because the SSH clients close their connections that way.</summary>
public sealed class CliScope(IHost host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    public async ValueTask DisposeAsync()
    {
        if (host is IAsyncDisposable asyncHost)
        {
            await asyncHost.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            host.Dispose();
        }
    }
}
