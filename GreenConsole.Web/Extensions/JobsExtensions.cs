using GreenConsole.Web.Jobs.Definitions;
using GreenConsole.Agents;
using GreenConsole.Web.Health;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Control;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

public static class JobsExtensions
{
    /// <summary>
    /// Training jobs and migrations: <see cref="JobService"/>, <see cref="JobStore"/>, the hosted
    /// <see cref="MigrationController"/>, the training agent and (if not yet registered) the carbon chain. Section "Migration".
    /// </summary>
    public static WebApplicationBuilder AddGreenConsoleJobs(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddGreenConsoleJobServices(builder.Configuration);
        builder.Services.AddGreenConsoleMigrationController();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MigrationController>());
        return builder;
    }

    /// <summary>The controller and its parts (poller, decision inputs, executor, drivers), not yet hosted.</summary>
    internal static IServiceCollection AddGreenConsoleMigrationController(this IServiceCollection services)
    {
        services.TryAddSingleton<CloudHealthStore>();
        services.TryAddSingleton<JobPoller>();
        services.TryAddSingleton<DecisionInputBuilder>();
        services.TryAddSingleton<DecisionExecutor>();
        services.TryAddSingleton<MigrationDrivers>();
        services.TryAddSingleton<MigrationController>();
        return services;
    }

    /// <summary>Everything but the hosted controller (the CLI uses this: its migrate requests are driven by the web app's controller).</summary>
    public static IServiceCollection AddGreenConsoleJobServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<JobsOptions>(configuration, JobsOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobsOptions>, JobsOptionsValidator>());
        services.AddGreenConsoleSsh(configuration);
        services.AddGreenConsoleTrainingAgent(configuration);
        services.AddGreenConsoleCarbon(configuration);
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<JobRepository>();
        services.TryAddSingleton<JobControllerSignal>();
        services.TryAddSingleton<MigrationHooks>();
        services.TryAddSingleton<JobService>();
        services.TryAddSingleton<JobDefinitionCodec>();
        services.TryAddSingleton<JobSpecs>();
        services.TryAddSingleton<PreflightStore>();
        services.TryAddSingleton<JobPreparation>();
        services.TryAddSingleton<JobDefinitionRepository>();
        services.TryAddSingleton<JobSubmitter>();
        return services;
    }
}
