using GreenConsole.Core.Clouds;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Cli;

/// <summary>One measured cycle size.</summary>
public sealed record TelemetryBenchmarkRow(int Clouds, TimeSpan WarmUpWall, TimeSpan Wall, TimeSpan ControllerCpu, TimeSpan ChildCpu, int Succeeded, int Failed)
{
    /// <summary>Controller CPU as a share of one core if this cycle ran every <paramref name="interval"/>.</summary>
    public double CoreShare(TimeSpan interval) => ControllerCpu / interval;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Clouds,4} clouds: cycle {Wall.TotalMilliseconds,7:F0} ms (first cycle incl. SSH master setup {WarmUpWall.TotalMilliseconds:F0} ms), " +
        $"controller CPU {ControllerCpu.TotalMilliseconds,6:F0} ms/cycle = {CoreShare(TimeSpan.FromSeconds(5)),6:P1} of a core at 5 s, " +
        $"ssh client children CPU {ChildCpu.TotalMilliseconds:F0} ms/cycle, {Succeeded} ok, {Failed} failed");
}

/// <summary>
/// <c>bench telemetry --lab-csv FILE [--clouds 5,50,200] [--cycles 3] [--ingest 50000]</c>: registers many cloud ids
/// over the lab's sshd endpoints (scripts/lab.sh writes the CSV), runs hardware poll cycles and times them, then
/// times bulk ingest into SQLite.
/// </summary>
public static class TelemetryBenchmark
{
    public static Command CreateCommand(TextWriter output)
    {
        var csv = new Option<FileInfo>("--lab-csv") { Description = "ssh_data.csv written by scripts/lab.sh up", Required = true };
        var clouds = new Option<string>("--clouds") { Description = "Comma-separated cloud counts", DefaultValueFactory = _ => "5,50,200" };
        var cycles = new Option<int>("--cycles") { Description = "Measured cycles per size (after one warm-up)", DefaultValueFactory = _ => 3 };
        var ingest = new Option<int>("--ingest") { Description = "Synthetic samples for the SQLite ingest measurement", DefaultValueFactory = _ => 50_000 };
        var command = new Command("telemetry", "Time telemetry poll cycles over many lab clouds and SQLite ingest") { csv, clouds, cycles, ingest };
        command.SetAction(async (parse, ct) =>
        {
            var sizes = parse.GetValue(clouds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var endpoints = ReadLabCsv(parse.GetValue(csv)!);
            foreach (var size in sizes)
            {
                var row = await RunCycleAsync(endpoints, size, parse.GetValue(cycles), ct).ConfigureAwait(false);
                await output.WriteLineAsync(row.ToString()).ConfigureAwait(false);
            }

            var (samples, elapsed) = await RunIngestAsync(parse.GetValue(ingest), ct).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"ingest: {samples} samples (3 rows each) into SQLite in {elapsed.TotalMilliseconds:F0} ms = {samples / elapsed.TotalSeconds:F0} samples/s")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    public sealed record LabEndpoint(string Host, int Port, string Username, string? Password, string? KeyPath, string Zone, string CountryCode, string CountryName, double Pue);

    public static IReadOnlyList<LabEndpoint> ReadLabCsv(FileInfo file)
    {
        var parsed = CloudCsvParser.Parse(File.ReadAllText(file.FullName, Encoding.UTF8));
        if (parsed.HasErrors)
        {
            throw new InvalidOperationException($"{file.FullName}: {string.Join("; ", parsed.AllErrors)}");
        }

        var endpoints = parsed.Rows.Select(r => r.Cloud!)
            .Select(c => new LabEndpoint(c.Host, c.Port, c.Username, c.Password, c.KeyPath, c.Zone, c.CountryCode, c.CountryName, c.Pue))
            .ToList();
        return endpoints.Count > 0 ? endpoints : throw new InvalidOperationException($"{file.FullName} lists no lab clouds.");
    }

    public static async Task<TelemetryBenchmarkRow> RunCycleAsync(IReadOnlyList<LabEndpoint> endpoints, int clouds, int cycles, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("greenconsole-bench-telemetry-");
        try
        {
            await using var provider = BuildServices(folder.FullName);
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            await RegisterAsync(provider, endpoints, clouds, ct).ConfigureAwait(false);
            var writer = provider.GetRequiredService<TelemetryWriter>();
            await writer.StartAsync(ct).ConfigureAwait(false);
            var poller = provider.GetRequiredService<TelemetryPoller>();
            await poller.PollCarbonAsync(ct).ConfigureAwait(false);

            var warm = await poller.PollHardwareAsync(ct, TimeSpan.FromMinutes(5), ignoreDueTimes: true).ConfigureAwait(false);
            var self = Process.GetCurrentProcess();
            TimeSpan wall = TimeSpan.Zero, cpu = TimeSpan.Zero, children = TimeSpan.Zero;
            int ok = 0, failed = 0;
            for (var i = 0; i < cycles; i++)
            {
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var child0 = ChildrenCpu();
                var result = await poller.PollHardwareAsync(ct, TimeSpan.FromMinutes(5), ignoreDueTimes: true).ConfigureAwait(false);
                self.Refresh();
                cpu += self.TotalProcessorTime - cpu0;
                children += ChildrenCpu() - child0;
                wall += result.Elapsed;
                ok += result.Succeeded;
                failed += result.Failed + result.Unreachable;
            }

            await writer.FlushAsync(ct).ConfigureAwait(false);
            await writer.StopAsync(ct).ConfigureAwait(false);
            var n = Math.Max(1, cycles);
            return new TelemetryBenchmarkRow(clouds, warm.Elapsed, wall / n, cpu / n, children / n, ok / n, failed / n);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Pushes synthetic processed samples through the real writer and times until they are committed.</summary>
    public static async Task<(int Samples, TimeSpan Elapsed)> RunIngestAsync(int samples, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("greenconsole-bench-ingest-");
        try
        {
            await using var provider = BuildServices(folder.FullName);
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            var writer = provider.GetRequiredService<TelemetryWriter>();
            await writer.StartAsync(ct).ConfigureAwait(false);
            var start = DateTimeOffset.UtcNow;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < samples; i++)
            {
                while (!writer.Enqueue(SyntheticSample(i % 200, start.AddSeconds(5 * (i / 200)))))
                {
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            await writer.FlushAsync(ct).ConfigureAwait(false);
            var elapsed = watch.Elapsed;
            await writer.StopAsync(ct).ConfigureAwait(false);
            var stats = writer.Stats;
            if (stats.Samples != samples)
            {
                throw new InvalidOperationException($"ingest benchmark wrote {stats.Samples} of {samples} samples ({stats.LastError}).");
            }

            return (samples, elapsed);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    internal static ProcessedSample SyntheticSample(int cloudId, DateTimeOffset at)
    {
        var sample = new HardwareSample
        {
            CloudId = cloudId.ToString(CultureInfo.InvariantCulture),
            At = at,
            CpuUtilization = ProbeField<double>.Of(0.5),
            CpuTimes = ProbeField<CpuTimes>.Missing("synthetic"),
            LogicalCpus = ProbeField<int>.Of(8),
            Sockets = ProbeField<int>.Of(1),
            CpuModel = ProbeField<string>.Of("synthetic"),
            MemoryTotalBytes = ProbeField<long>.Of(16L << 30),
            MemoryUsedBytes = ProbeField<long>.Of(8L << 30),
            Gpus = ProbeField<IReadOnlyList<GpuSample>>.Missing("nvidia-smi not installed"),
            Rapl = ProbeField<IReadOnlyList<RaplReading>>.Missing("no powercap"),
            OsName = ProbeField<string>.Of("Linux"),
            KernelRelease = ProbeField<string>.Of("6"),
        };
        var power = PowerModel.Estimate(sample, null);
        var point = new TelemetryPoint(cloudId, at, 0.5, null, 8L << 30, 16L << 30, power.TotalW, power.Cpu?.Watts, power.Gpu?.Watts, power.Ram?.Watts,
            power.Quality, 5, 0, power.TotalW * 5 / EnergyUnits.JoulesPerKwh, power.TotalW * 5 / EnergyUnits.JoulesPerKwh * 400, 0, 400,
            DataQuality.Measured, "synthetic", "DE", 1.2);
        return new ProcessedSample(point, sample, power);
    }

    private static ServiceProvider BuildServices(string folder)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.root.json"), optional: true)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Path"] = Path.Combine(folder, "bench.db"),
                ["Ssh:DataDirectory"] = Path.Combine(folder, "ssh"),
            })
            .AddEnvironmentVariables()
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddConsole());
        services.AddGreenConsolePersistence(configuration);
        services.AddGreenConsoleCloudRegistry();
        Agents.AgentsServiceCollectionExtensions.AddGreenConsoleSsh(services, configuration);
        services.AddGreenConsoleTelemetryServices(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>Registers <paramref name="count"/> cloud ids round-robin over the lab endpoints (distinct natural keys).</summary>
    private static async Task RegisterAsync(IServiceProvider provider, IReadOnlyList<LabEndpoint> endpoints, int count, CancellationToken ct)
    {
        var protector = provider.GetRequiredService<CloudSecretProtector>();
        await using var db = await provider.GetRequiredService<IDbContextFactory<GreenConsoleDbContext>>().CreateDbContextAsync(ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var e = endpoints[i % endpoints.Count];
            db.Clouds.Add(new CloudEntity
            {
                NaturalKey = $"bench-{i}:{e.Host}:{e.Port}:{e.Username}",
                Host = e.Host,
                Port = e.Port,
                Username = e.Username,
                ProtectedPassword = e.Password is null ? null : protector.Protect(e.Password),
                KeyPath = e.Password is null ? e.KeyPath : null,
                CountryCode = e.CountryCode,
                CountryName = e.CountryName,
                Zone = e.Zone,
                Pue = e.Pue,
                Label = $"bench {i}",
                CreatedAt = now,
                UpdatedAt = now,
            });
        }

        await db.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>CPU of reaped child processes (the ssh clients), from /proc/self/stat cutime + cstime.</summary>
    private static TimeSpan ChildrenCpu()
    {
        if (!OperatingSystem.IsLinux())
        {
            return TimeSpan.Zero;
        }

        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after "(comm) " start at field 3 (state); cutime and cstime are fields 16 and 17, in clock ticks (100 Hz on Linux).
        var ticks = long.Parse(fields[16 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[17 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
