using GreenConsole.Agents;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Components;
using GreenConsole.Web.Health;
using GreenConsole.Web.Lab;
using GreenConsole.Web.Scheduling;
using GreenConsole.Web.Simulation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace GreenConsole.Web.Extensions;

public static class GreenConsoleExtensions
{
    public static WebApplicationBuilder AddGreenConsole(this WebApplicationBuilder builder)
    {
        builder.AddGreenConsoleConfiguration();
        builder.AddGreenConsoleSecurity();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);

        // Start-up work (schema, first admin, lab clouds) must finish before the scheduler and the server start.
        services.AddHostedService<StartupInitializer>();

        services.AddGreenConsolePersistence(builder.Configuration);
        services.AddGreenConsoleCloudRegistry();
        services.AddGreenConsoleSsh(builder.Configuration);
        builder.AddGreenConsoleAuth();
        builder.AddGreenConsoleLoginProtection();
        builder.AddGreenConsoleHealth();
        builder.AddGreenConsoleTelemetry();
        builder.AddGreenConsoleLab();
        builder.AddGreenConsoleTerminals();
        builder.AddGreenConsoleDashboard();
        services.AddGreenConsoleScheduling();
        builder.AddGreenConsoleJobs();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddSingleton<Live.CircuitActivityMetrics>();
        services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, Live.CircuitActivityHandler>();
        services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight;
            o.SnackbarConfiguration.VisibleStateDuration = 6000;
        });
        services.AddScoped<UserPreferences>();
        services.AddScoped<PageAuthorizer>();
        services.AddScoped<CloudImportViewModel>();
        services.AddGreenConsoleSimulation();
        services.AddHealthChecks();
        return builder;
    }

    public static WebApplication UseGreenConsole(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseGreenConsoleSecurityHeaders();
        app.UseGreenConsoleLoginProtection();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapGreenConsoleAccountEndpoints();
        app.MapGreenConsoleApi();
        app.MapGreenConsoleTelemetryApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>The Simulate page's view model over the shipped trace (parsed once) and the registered clouds.</summary>
    public static IServiceCollection AddGreenConsoleSimulation(this IServiceCollection services)
    {
        services.TryAddSingleton<ShippedTraceCache>();
        services.TryAddScoped(sp =>
        {
            var cache = sp.GetRequiredService<ShippedTraceCache>();
            var clouds = sp.GetRequiredService<CloudRepository>();
            return new SimulationViewModel(
                cache.GetAsync,
                async ct => (await clouds.ListAsync(ct).ConfigureAwait(false))
                    .Select(c => new SimCloudSpec(c.Zone, c.ThresholdGPerKwh, c.Pue, c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList(),
                sp.GetRequiredService<IOptions<GreenConsole.Web.Jobs.JobsOptions>>().Value.Policy);
        });
        return services;
    }

    public static WebApplicationBuilder AddGreenConsoleDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<Dashboard.MapOptions>(builder.Configuration, Dashboard.MapOptions.Section);
        builder.Services.AddValidatedOptions<Dashboard.DashboardOptions>(builder.Configuration, Dashboard.DashboardOptions.Section);
        // The carbon chain is shared with telemetry and jobs; only the first registration takes effect.
        builder.Services.AddGreenConsoleCarbon(builder.Configuration);
        builder.Services.AddSingleton<Dashboard.CarbonMapBuilder>();
        builder.Services.AddSingleton<Dashboard.IMapJobSource, Jobs.JobsMapSource>();
        builder.Services.AddSingleton<Reports.JobReportBuilder>();
        builder.Services.AddSingleton<Reports.FleetReports>();
        builder.Services.AddSingleton<Dashboard.CarbonMapStore>();
        builder.Services.AddHostedService<Dashboard.CarbonMapRefresher>();
        return builder;
    }

    public static WebApplicationBuilder AddGreenConsoleTerminals(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<Terminals.TerminalOptions>(builder.Configuration, Terminals.TerminalOptions.Section);
        builder.Services.AddSingleton<Terminals.TerminalSessionManager>();
        builder.Services.AddHostedService<Terminals.TerminalShutdown>();
        return builder;
    }

    public static WebApplicationBuilder AddGreenConsoleHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<HealthOptions>(builder.Configuration, HealthOptions.Section);
        builder.Services.AddSingleton<CloudHealthStore>();
        builder.Services.AddSingleton<CloudHealthChecker>();
        builder.Services.AddSingleton<HostKeyTrustService>();
        builder.Services.AddRecurringJob<CloudHealthJob>("cloud-health",
            sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<HealthOptions>>().Value.IntervalSeconds));
        return builder;
    }
}
