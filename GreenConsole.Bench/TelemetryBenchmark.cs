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

namespace GreenConsole.Bench;

/// <summary>
/// One measured cycle size; CPU figures are per cycle. ChildCpu: the app's own ssh clients (one-shot ones reaped
/// during the cycle plus probe-session clients still running). MasterCpu: the detached ControlMaster processes, which
/// do the encryption for every multiplexed client. LabCpu: the lab's sshd processes and everything under them (the
/// cloud side, here on the same machine). The goal counts app + ssh clients + masters.
/// </summary>
public sealed record TelemetryBenchmarkRow(
    int Clouds, TimeSpan WarmUpWall, TimeSpan Wall, TimeSpan ControllerCpu, TimeSpan ChildCpu, TimeSpan MasterCpu, TimeSpan LabCpu,
    int Masters, int Succeeded, int Failed, bool PersistentSessions)
{
    /// <summary>Controller CPU as a share of one core if this cycle ran every <paramref name="interval"/>.</summary>
    public double CoreShare(TimeSpan interval) => ControllerCpu / interval;

    /// <summary>App + ssh clients + masters as a share of one core if this cycle ran every <paramref name="interval"/>.</summary>
    public double ControlPlaneShare(TimeSpan interval) => (ControllerCpu + ChildCpu + MasterCpu) / interval;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Clouds,4} clouds ({(PersistentSessions ? "sessions" : "one-shot")}): cycle {Wall.TotalMilliseconds,6:F0} ms " +
        $"(first cycle incl. SSH master setup {WarmUpWall.TotalMilliseconds:F0} ms); CPU per cycle: app {ControllerCpu.TotalMilliseconds:F0} ms, " +
        $"ssh clients {ChildCpu.TotalMilliseconds:F0} ms, {Masters} masters {MasterCpu.TotalMilliseconds:F0} ms " +
        $"= {ControlPlaneShare(TimeSpan.FromSeconds(5)):P1} of a core at 5 s (app alone {CoreShare(TimeSpan.FromSeconds(5)):P1}); " +
        $"lab sshd side {LabCpu.TotalMilliseconds:F0} ms; {Succeeded} ok, {Failed} failed");
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
            var labCsv = parse.GetValue(csv)!;
            var endpoints = ReadLabCsv(labCsv);
            foreach (var size in sizes)
            {
                var row = await RunCycleAsync(endpoints, size, parse.GetValue(cycles), ct, labCsv.DirectoryName).ConfigureAwait(false);
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

    /// <param name="labDirectory">The lab's folder (its sshd processes name it on their command line), for the cloud-side CPU; null skips it.</param>
    public static async Task<TelemetryBenchmarkRow> RunCycleAsync(
        IReadOnlyList<LabEndpoint> endpoints, int clouds, int cycles, CancellationToken ct, string? labDirectory = null)
    {
        var folder = Directory.CreateTempSubdirectory("greenconsole-bench-telemetry-");
        try
        {
            await using var scope = BuildServices(folder.FullName);
            var provider = scope.Services;
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            await RegisterAsync(provider, endpoints, clouds, ct).ConfigureAwait(false);
            var writer = provider.GetRequiredService<TelemetryWriter>();
            await writer.StartAsync(ct).ConfigureAwait(false);
            var poller = provider.GetRequiredService<TelemetryPoller>();
            await poller.PollCarbonAsync(ct).ConfigureAwait(false);

            var warm = await poller.PollHardwareAsync(ct, TimeSpan.FromMinutes(5), ignoreDueTimes: true).ConfigureAwait(false);
            var self = Process.GetCurrentProcess();
            // Every ssh process of this run names the run's SSH folder: clients in their -o options, masters in their title.
            var sshMarker = Path.Combine(folder.FullName, "ssh") + "/";
            // The lab's sshd daemons run with configs under LAB_DIR/sshd/; the app's own command line names only the CSV.
            var labSshd = labDirectory is null ? null : Path.Combine(labDirectory, "sshd") + "/";
            TimeSpan wall = TimeSpan.Zero, cpu = TimeSpan.Zero, children = TimeSpan.Zero, masters = TimeSpan.Zero, lab = TimeSpan.Zero;
            int ok = 0, failed = 0, masterCount = 0;
            for (var i = 0; i < cycles; i++)
            {
                var before = ProcessCpu.Snapshot();
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var child0 = ChildrenCpu();
                var result = await poller.PollHardwareAsync(ct, TimeSpan.FromMinutes(5), ignoreDueTimes: true).ConfigureAwait(false);
                self.Refresh();
                cpu += self.TotalProcessorTime - cpu0;
                var reaped = ChildrenCpu() - child0;
                var after = ProcessCpu.Snapshot();
                var ssh = ProcessCpu.SshDelta(before, after, sshMarker, Environment.ProcessId);
                children += reaped + ssh.Clients;
                masters += ssh.Masters;
                masterCount = ssh.MasterCount;
                if (labDirectory is not null)
                {
                    lab += ProcessCpu.SubtreeTotal(after, labSshd!) - ProcessCpu.SubtreeTotal(before, labSshd!);
                }

                wall += result.Elapsed;
                ok += result.Succeeded;
                failed += result.Failed + result.Unreachable;
            }

            await writer.FlushAsync(ct).ConfigureAwait(false);
            await writer.StopAsync(ct).ConfigureAwait(false);
            var n = Math.Max(1, cycles);
            var persistent = provider.GetRequiredService<IConfiguration>().GetValue("Probes:PersistentSessions", true);
            return new TelemetryBenchmarkRow(clouds, warm.Elapsed, wall / n, cpu / n, children / n, masters / n, lab / n, masterCount, ok / n, failed / n, persistent);
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
            await using var scope = BuildServices(folder.FullName);
            var provider = scope.Services;
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

    private static CliScope BuildServices(string folder)
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
        return CliServices.Build(configuration, CliModules.Telemetry);
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

    /// <summary>
    /// CPU of processes read from /proc. A process's own time comes from /proc/PID/schedstat (nanoseconds, main thread:
    /// ssh, sshd and sh are single-threaded): utime+stime count 10 ms ticks per process, and a master spends well under
    /// one tick per poll, so 200 truncated deltas would read as zero. Reaped children's time (cutime+cstime) is ticks.
    /// </summary>
    private static class ProcessCpu
    {
        public sealed record Entry(int Pid, int ParentPid, long OwnNanoseconds, long ReapedTicks, string CommandLine);

        public static Dictionary<int, Entry> Snapshot()
        {
            var entries = new Dictionary<int, Entry>();
            if (!OperatingSystem.IsLinux())
            {
                return entries;
            }

            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    long Field(int number) => long.Parse(f[number - 3], CultureInfo.InvariantCulture);
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    var schedstat = Path.Combine(dir, "schedstat");
                    var own = File.Exists(schedstat)
                        ? long.Parse(File.ReadAllText(schedstat).Split(' ')[0], CultureInfo.InvariantCulture)
                        : (Field(14) + Field(15)) * 10_000_000;
                    entries[pid] = new Entry(pid, (int)Field(4), own, Field(16) + Field(17), cmdline);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
                {
                    // The process ended while being read; it is simply not part of this snapshot.
                }
            }

            return entries;
        }

        /// <summary>CPU spent between the snapshots by ssh processes naming <paramref name="marker"/>: children of this process vs. detached masters.</summary>
        public static (TimeSpan Clients, TimeSpan Masters, int MasterCount) SshDelta(Dictionary<int, Entry> before, Dictionary<int, Entry> after, string marker, int self)
        {
            long clients = 0, masters = 0;
            var count = 0;
            foreach (var e in after.Values.Where(e => e.CommandLine.Contains(marker, StringComparison.Ordinal)))
            {
                var delta = e.OwnNanoseconds - (before.TryGetValue(e.Pid, out var b) && b.CommandLine == e.CommandLine ? b.OwnNanoseconds : 0);
                if (e.ParentPid == self)
                {
                    clients += delta;
                }
                else
                {
                    masters += delta;
                    count++;
                }
            }

            return (Nanoseconds(clients), Nanoseconds(masters), count);
        }

        /// <summary>All CPU (own and reaped) of the processes naming <paramref name="marker"/> and everything below them.</summary>
        public static TimeSpan SubtreeTotal(Dictionary<int, Entry> snapshot, string marker)
        {
            var children = snapshot.Values.ToLookup(e => e.ParentPid);
            // Roots and their descendants may both name the marker; "seen" counts each process once.
            var pending = new Stack<Entry>(snapshot.Values.Where(e => e.CommandLine.Contains(marker, StringComparison.Ordinal)));
            long ns = 0;
            var seen = new HashSet<int>();
            while (pending.TryPop(out var e))
            {
                if (!seen.Add(e.Pid))
                {
                    continue;
                }

                ns += e.OwnNanoseconds + e.ReapedTicks * 10_000_000;
                foreach (var c in children[e.Pid])
                {
                    pending.Push(c);
                }
            }

            return Nanoseconds(ns);
        }

        private static TimeSpan Nanoseconds(long ns) => TimeSpan.FromTicks(ns / 100);
    }
}
