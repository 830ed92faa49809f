using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Lab;

/// <summary>Brings the schema up to date, creates the first administrator and imports the demo lab's clouds.</summary>
internal sealed class StartupInitializer(IServiceProvider services, IOptions<LabOptions> lab, ILogger<StartupInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await services.MigrateGreenConsoleDatabaseAsync(cancellationToken);

        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAsync(cancellationToken);
        }

        await ImportLabAsync(cancellationToken);
    }

    private async Task ImportLabAsync(CancellationToken cancellationToken)
    {
        var path = lab.Value.CsvPath;
        if (!lab.Value.AutoImport || string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            return;
        }
        await using var file = File.OpenRead(path);
        var report = await services.GetRequiredService<CloudImportService>().ImportAsync(file, CloudImportMode.ValidRowsOnly, dryRun: false, cancellationToken);
        if (report.HasFileErrors || report.Rejected > 0)
        {
            logger.LogWarning("Demo lab CSV {Path}: {Rejected} rows rejected, file errors: {Errors}", path, report.Rejected,
                string.Join("; ", report.FileErrors));
        }
        logger.LogInformation("Demo lab clouds from {Path}: {Created} new, {Updated} updated, {Unchanged} unchanged",
            path, report.Created, report.Updated, report.Unchanged);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class LabExtensions
{
    public static WebApplicationBuilder AddGreenConsoleLab(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LabOptions>().Bind(builder.Configuration.GetSection(LabOptions.Section));
        return builder;
    }
}
