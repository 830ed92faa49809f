using GreenConsole.Agents;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Telemetry;

/// <summary>The web app's telemetry services over a real SQLite file in a temporary folder.</summary>
internal sealed class TelemetryTestHost : IAsyncDisposable
{
    private TelemetryTestHost(DirectoryInfo folder, ServiceProvider services)
    {
        Folder = folder;
        Services = services;
    }

    public DirectoryInfo Folder { get; }

    public ServiceProvider Services { get; }

    public string DatabasePath => Path.Combine(Folder.FullName, "db", "greenconsole.db");

    public string ConnectionString => new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString();

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<TelemetryTestHost> StartAsync(TimeProvider? clock = null, IDictionary<string, string?>? settings = null)
    {
        var folder = Directory.CreateTempSubdirectory("gc-telemetry-test-");
        var config = new Dictionary<string, string?>
        {
            ["Database:Path"] = Path.Combine(folder.FullName, "db", "greenconsole.db"),
            ["Ssh:DataDirectory"] = Path.Combine(folder.FullName, "ssh"),
            ["Carbon:Trace:FilePath"] = TelemetryRepoPaths.HourlyTrace,
            ["Carbon:Yearly:FilePath"] = TelemetryRepoPaths.Yearly,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddGreenConsolePersistence(configuration);
        services.AddGreenConsoleCloudRegistry();
        services.AddGreenConsoleSsh(configuration);
        services.AddGreenConsoleTelemetryServices(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);
        await provider.GetRequiredService<TelemetryWriter>().StartAsync(CancellationToken.None);
        return new TelemetryTestHost(folder, provider);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<double> RealAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToDouble(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for a condition with a deadline (never a fixed sleep).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A hand-made processed sample with the given power and energy.</summary>
    public static ProcessedSample Sample(int cloudId, DateTimeOffset at, double watts, double kwh, double gramsPerKwh, string zone = "DE")
    {
        var hardware = new HardwareSample
        {
            CloudId = cloudId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            At = at,
            CpuUtilization = ProbeField<double>.Of(0.25),
            CpuTimes = ProbeField<CpuTimes>.Missing("test"),
            LogicalCpus = ProbeField<int>.Of(4),
            Sockets = ProbeField<int>.Of(1),
            CpuModel = ProbeField<string>.Of("test cpu"),
            MemoryTotalBytes = ProbeField<long>.Of(8L << 30),
            MemoryUsedBytes = ProbeField<long>.Of(2L << 30),
            Gpus = ProbeField<IReadOnlyList<GpuSample>>.Missing("nvidia-smi not installed"),
            Rapl = ProbeField<IReadOnlyList<RaplReading>>.Missing("no powercap"),
            OsName = ProbeField<string>.Of("Linux"),
            KernelRelease = ProbeField<string>.Of("6.1"),
        };
        var power = new PowerEstimate(at, new PowerComponent(watts, DataQuality.Estimated, "test: fixed watts"), null, null, []);
        var point = new TelemetryPoint(cloudId, at, 0.25, null, 2L << 30, 8L << 30, watts, watts, null, null, power.Quality,
            5, 0, kwh, kwh * gramsPerKwh, 0, gramsPerKwh, DataQuality.Measured, "test-source", zone, 1.0);
        return new ProcessedSample(point, hardware, power);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.GetRequiredService<TelemetryWriter>().StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Delete(recursive: true);
    }
}
