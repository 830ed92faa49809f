using GreenConsole.Core.Carbon;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Health;
using GreenConsole.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Tests.Web.Jobs;

/// <summary>The real controller built through DI over a temp SQLite file and the lab's clouds; dispose it to "kill" the controller.</summary>
internal sealed class MigrationTestHost : IAsyncDisposable
{
    private MigrationTestHost(ServiceProvider services, MigrationController controller, MigrationTestClock clock)
    {
        Services = services;
        Controller = controller;
        Clock = clock;
    }

    public MigrationTestClock Clock { get; }

    public ServiceProvider Services { get; }

    public MigrationController Controller { get; }

    public JobService Jobs => Services.GetRequiredService<JobService>();

    public MigrationHooks Hooks => Services.GetRequiredService<MigrationHooks>();

    public IRemoteShell Shell => Services.GetRequiredService<IRemoteShell>();

    public ITrainingAgent Agent => Services.GetRequiredService<ITrainingAgent>();

    public ICarbonIntensityProvider Carbon => Services.GetRequiredService<ICarbonIntensityProvider>();

    public CloudRepository Clouds => Services.GetRequiredService<CloudRepository>();

    public static async Task<MigrationTestHost> StartAsync(
        SshLabFixture lab, string folder, MigrationTestClock clock, IDictionary<string, string?>? settings = null, Action<MigrationHooks>? hooks = null, bool importLab = true)
    {
        var values = new Dictionary<string, string?>
        {
            ["Database:Path"] = Path.Combine(folder, "db", "greenconsole.db"),
            ["Ssh:DataDirectory"] = Path.Combine(folder, "ssh"),
            ["Ssh:ConnectTimeoutSeconds"] = "2",
            ["Carbon:Trace:FilePath"] = Path.Combine(lab.RepoRoot, "data", "carbon", "electricitymaps_hourly_2023_16zones.csv.gz"),
            ["Carbon:Trace:Mode"] = "FixedStart",
            ["Carbon:Trace:FixedStart"] = MigrationLabData.TraceStart.ToString("O"),
            ["Carbon:Trace:SpeedUp"] = "1",
            ["Migration:TickSeconds"] = "0.3",
            ["Migration:WaitPollMilliseconds"] = "150",
            ["Migration:RetryDelaySeconds"] = "0.5",
            ["Migration:DecisionLogMinutes"] = "0",
            ["Migration:Policy:MinimumDwell"] = "00:00:00",
            ["Migration:Policy:MinimumNetSavingGrams"] = "0",
            ["Migration:Timeouts:Draining"] = "00:01:00",
            ["Migration:Timeouts:Transferring"] = "00:01:00",
            ["Migration:Timeouts:Starting"] = "00:01:00",
            ["Migration:Timeouts:RollingBack"] = "00:01:00",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Information));
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGreenConsolePersistence(configuration);
        services.AddGreenConsoleCloudRegistry();
        services.AddGreenConsoleJobServices(configuration);
        services.AddGreenConsoleMigrationController();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);
        if (importLab)
        {
            await using var csv = File.OpenRead(lab.CsvPath);
            await provider.GetRequiredService<CloudImportService>().ImportAsync(csv, CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);
        }

        hooks?.Invoke(provider.GetRequiredService<MigrationHooks>());
        var controller = provider.GetRequiredService<MigrationController>();
        await controller.StartAsync(CancellationToken.None);
        return new MigrationTestHost(provider, controller, clock);
    }

    public async Task<CloudSummary> CloudAsync(string zone) =>
        (await Clouds.ListAsync(CancellationToken.None)).Single(c => c.Zone == zone);

    /// <summary>The replayed intensity of <paramref name="zone"/> at the clock's current hour.</summary>
    public async Task<double> IntensityAsync(string zone) =>
        (await Carbon.GetCurrentAsync(zone, CarbonSignal.LifeCycle, CancellationToken.None))!.GramsPerKwh;

    /// <summary>The first hour k (from the trace start) at which <paramref name="zone"/>'s intensity rises into hour k+1, read from the data; leaves the clock at k.</summary>
    public async Task<(TimeSpan Hour, double Before, double After)> FindRiseAsync(string zone)
    {
        for (var k = 0; k < 24 * 14; k++)
        {
            Clock.Offset = TimeSpan.FromHours(k);
            var before = await IntensityAsync(zone);
            Clock.Offset = TimeSpan.FromHours(k + 1);
            var after = await IntensityAsync(zone);
            if (after > before + 2)
            {
                Clock.Offset = TimeSpan.FromHours(k);
                return (TimeSpan.FromHours(k), before, after);
            }
        }

        throw new InvalidOperationException($"Zone {zone} never rises within two weeks of {MigrationLabData.TraceStart:O}.");
    }

    /// <summary>Thresholds: source crosses between hour k and k+1; only <paramref name="target"/> qualifies; the rest never do. Leaves the clock at k.</summary>
    public async Task<TimeSpan> ArrangeThresholdsAsync(string source, string target)
    {
        var (hour, before, after) = await FindRiseAsync(source);
        Clock.Offset = hour + TimeSpan.FromHours(1);
        var targetAfter = await IntensityAsync(target);
        var sourceAfter = await IntensityAsync(source);
        Assert.True(sourceAfter > targetAfter + 20, $"the trace must make {target} cleaner than {source} at that hour ({targetAfter} vs {sourceAfter})");
        Clock.Offset = hour;
        foreach (var c in await Clouds.ListAsync(CancellationToken.None))
        {
            var threshold = c.Zone == source ? (before + after) / 2 : c.Zone == target ? targetAfter + 100 : 0;
            await SetThresholdAsync(c.Id, threshold);
        }

        return hour;
    }

    public async Task SetThresholdAsync(int cloudId, double threshold)
    {
        await using var db = NewContext();
        var cloud = await db.Clouds.SingleAsync(c => c.Id == cloudId);
        cloud.Threshold = threshold;
        await db.SaveChangesAsync();
    }

    public GreenConsoleDbContext NewContext() => Services.GetRequiredService<IDbContextFactory<GreenConsoleDbContext>>().CreateDbContext();

    public async Task<JobEntity> JobAsync(string id)
    {
        await using var db = NewContext();
        return await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
    }

    /// <summary>
    /// Waits until the job satisfies <paramref name="condition"/>; on timeout the failure carries the job's row and its
    /// latest events, so that an intermittent failure says what the controller did instead.
    /// </summary>
    public async Task<JobEntity> WaitForJobAsync(string id, Func<JobEntity, bool> condition, TimeSpan deadline, string what)
    {
        try
        {
            return await WaitForAsync(async () =>
            {
                var job = await JobAsync(id);
                return condition(job) ? job : null;
            }, deadline, what);
        }
        catch (TimeoutException e)
        {
            var job = await JobAsync(id);
            var events = await Jobs.EventsAsync(id, CancellationToken.None);
            var recent = string.Join(Environment.NewLine, events.TakeLast(20).Select(ev => $"  {ev.At:HH:mm:ss.fff} {ev.Kind} {ev.FromStep}->{ev.ToStep}: {ev.Message}"));
            throw new TimeoutException(
                $"{e.Message}{Environment.NewLine}Job {id}: {job.Status} on cloud {job.CurrentCloudId}, step {job.LastStep}/{job.TotalSteps}, error {job.LastError ?? "none"}." +
                $"{Environment.NewLine}Latest events:{Environment.NewLine}{recent}", e);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan deadline, string what)
        where T : class
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Controller.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
    }
}
