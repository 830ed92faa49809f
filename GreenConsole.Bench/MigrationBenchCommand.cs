using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Health;
using GreenConsole.Web.Jobs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Bench;

/// <summary>One measured checkpoint size: downtime of a real migration, a plain copy of as many bytes, and where the downtime went.</summary>
internal sealed record MigrationBenchRow(
    long Bytes,
    double DowntimeSeconds,
    double PlainCopySeconds,
    double SameCipherCopySeconds,
    string SameCipher,
    double DrainSeconds,
    double TransferSeconds,
    double VerifySeconds,
    double StartSeconds,
    double OtherSeconds,
    string Outcome,
    string Detail,
    double WarmUpSeconds = 0)
{
    public double Ratio => PlainCopySeconds > 0 ? DowntimeSeconds / PlainCopySeconds : double.NaN;

    /// <summary>The goal: downtime at most 1.2 × plain copy + 2 s.</summary>
    public bool MeetsGoal => DowntimeSeconds <= (1.2 * PlainCopySeconds) + 2;
}

/// <summary>
/// <c>bench migration [--sizes 1MB,100MB,1GB] [--csv .lab/ssh_data.csv] [--from KR] [--to CA-ON]</c>: for each checkpoint
/// size (GC_CHECKPOINT_PAD_BYTES) starts the reference trainer on one lab cloud, lets the real controller and driver
/// migrate it to another (manual request), and reads the downtime the driver recorded (stop request to the first new
/// progress line on the target). Then copies a random file of the same size between the same two clouds with a literal
/// <c>scp -3</c> (the issue's baseline): once with OpenSSH's default settings and once with the cipher our connections prefer.
/// </summary>
internal static class MigrationBenchCommand
{
    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var sizes = new Option<string>("--sizes") { Description = "Checkpoint sizes, e.g. 1MB,100MB,1GB (KB/MB/GB decimal, KiB/MiB/GiB binary, or bytes)", DefaultValueFactory = _ => "1MB,100MB,1GB" };
        var csv = new Option<string>("--csv") { Description = "Cloud CSV of the lab", DefaultValueFactory = _ => ".lab/ssh_data.csv" };
        var from = new Option<string>("--from") { Description = "Zone of the source cloud", DefaultValueFactory = _ => "KR" };
        var to = new Option<string>("--to") { Description = "Zone of the target cloud", DefaultValueFactory = _ => "CA-ON" };
        var delay = new Option<int>("--step-delay-ms") { Description = "Trainer step delay, so the job still runs when the migration starts", DefaultValueFactory = _ => 100 };
        var own = new Option<bool>("--own-job") { Description = "Also move a researcher's protocol-mode job (100 MB checkpoint, 50 MB project) three times", DefaultValueFactory = _ => true };
        var command = new Command("migration", "Migration downtime vs. a plain copy of the same size between two lab clouds") { sizes, csv, from, to, delay, own };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryParseSizes(parse.GetValue(sizes)!, out var bytes, out var problem))
            {
                await error.WriteLineAsync("bench migration: " + problem).ConfigureAwait(false);
                return 1;
            }

            var path = parse.GetValue(csv)!;
            if (!File.Exists(path))
            {
                await error.WriteLineAsync($"bench migration: {path} does not exist (start the demo lab with scripts/lab.sh up, or pass --csv).").ConfigureAwait(false);
                return 1;
            }

            try
            {
                var rows = await RunAsync(configuration, path, parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(delay), bytes, parse.GetValue(own), output, ct).ConfigureAwait(false);
                return rows.All(r => r.Outcome == "RunningOnTarget") ? 0 : 1;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or RemoteShellException or TrainingJobException or IOException)
            {
                await error.WriteLineAsync("bench migration: " + e.Message).ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    internal static bool TryParseSizes(string text, out IReadOnlyList<long> sizes, out string? problem)
    {
        var list = new List<long>();
        sizes = list;
        problem = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (number, unit) = Split(part);
            long factor = unit.ToUpperInvariant() switch
            {
                "" or "B" => 1,
                "KB" => 1_000,
                "MB" => 1_000_000,
                "GB" => 1_000_000_000,
                "KIB" => 1L << 10,
                "MIB" => 1L << 20,
                "GIB" => 1L << 30,
                _ => 0,
            };
            if (factor == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
            {
                problem = $"--sizes: '{part}' is not a size such as 1MB, 100MB, 1GB or 512KiB.";
                return false;
            }

            list.Add((long)Math.Round(value * factor));
        }

        if (list.Count == 0)
        {
            problem = "--sizes: give at least one size, e.g. 1MB,100MB.";
            return false;
        }

        return true;

        static (string, string) Split(string s)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            return (s[..i], s[i..].Trim());
        }
    }

    internal static string FormatSize(long bytes) => bytes switch
    {
        >= 1_000_000_000 when bytes % 1_000_000_000 == 0 => $"{bytes / 1_000_000_000} GB",
        >= 1_000_000 when bytes % 1_000_000 == 0 => $"{bytes / 1_000_000} MB",
        >= 1_000 when bytes % 1_000 == 0 => $"{bytes / 1_000} KB",
        _ => $"{bytes} B",
    };

    private static async Task<IReadOnlyList<MigrationBenchRow>> RunAsync(
        IConfiguration configuration, string csvPath, string fromZone, string toZone, int stepDelayMs, IReadOnlyList<long> sizes, bool ownJob, TextWriter output, CancellationToken ct)
    {
        // A private database and SSH folder: the benchmark never touches the app's jobs, clouds or known hosts.
        var folder = Directory.CreateTempSubdirectory("gc-bench-migration-").FullName;
        var settings = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Path"] = Path.Combine(folder, "greenconsole.db"),
            ["Ssh:DataDirectory"] = Path.Combine(folder, "ssh"),
            ["Migration:AutoMigrate"] = "false",
            ["Migration:TickSeconds"] = "1",
            // Downtime ends at the first poll that sees the new progress line; a short poll keeps that error small.
            ["Migration:WaitPollMilliseconds"] = "100",
            ["Migration:Timeouts:Transferring"] = "01:00:00",
        }).Build();
        var scope = CliServices.Build(settings, CliModules.Jobs, LogLevel.Warning, services =>
        {
            services.AddGreenConsoleMigrationController();
        });
        var provider = scope.Services;
        MigrationController? controller = null;
        var rows = new List<MigrationBenchRow>();
        try
        {
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            await using (var csv = File.OpenRead(csvPath))
            {
                var report = await provider.GetRequiredService<CloudImportService>().ImportAsync(csv, CloudImportMode.AllOrNothing, dryRun: false, ct).ConfigureAwait(false);
                if (!report.Stored)
                {
                    throw new InvalidOperationException($"{csvPath} could not be imported ({report.Rejected} rows rejected, {report.FileErrors.Count} file errors).");
                }
            }

            var clouds = provider.GetRequiredService<CloudRepository>();
            var all = await clouds.ListAsync(ct).ConfigureAwait(false);
            var source = all.FirstOrDefault(c => string.Equals(c.Zone, fromZone, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"No cloud of zone '{fromZone}' in {csvPath}.");
            var target = all.FirstOrDefault(c => string.Equals(c.Zone, toZone, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"No cloud of zone '{toZone}' in {csvPath}.");
            var sourceTarget = (await clouds.GetTargetAsync(source.Id, ct).ConfigureAwait(false))!;
            var targetTarget = (await clouds.GetTargetAsync(target.Id, ct).ConfigureAwait(false))!;

            controller = provider.GetRequiredService<MigrationController>();
            await controller.StartAsync(ct).ConfigureAwait(false);
            var jobs = provider.GetRequiredService<JobService>();
            var shell = provider.GetRequiredService<IRemoteShell>();
            var db = provider.GetRequiredService<IDbContextFactory<GreenConsoleDbContext>>();

            await output.WriteLineAsync($"bench migration: {source.Zone} (cloud {source.Id}, {source.Host}:{source.Port}) -> {target.Zone} (cloud {target.Id}, {target.Host}:{target.Port}); step delay {stepDelayMs} ms").ConfigureAwait(false);
            foreach (var size in sizes)
            {
                var labKey = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, "keys", "lab_ed25519");
                var row = await MeasureAsync(settings, File.Exists(labKey) ? labKey : null, provider.GetRequiredService<ITrainingAgent>(), jobs, db, shell, source.Id, target.Id, sourceTarget, targetTarget, stepDelayMs, size, output, ct).ConfigureAwait(false);
                rows.Add(row);
            }

            await WriteTableAsync(rows, output).ConfigureAwait(false);
            if (ownJob)
            {
                var labKeyPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, "keys", "lab_ed25519");
                var own = await OwnJobMigrationBench.RunAsync(provider, source.Id, target.Id, sourceTarget, targetTarget,
                    async size => (await PlainCopyAsync(shell, sourceTarget, targetTarget, size, null, File.Exists(labKeyPath) ? labKeyPath : null, ct).ConfigureAwait(false)).Defaults,
                    output, ct).ConfigureAwait(false);
                if (own.FirstOrDefault(r => r.Outcome != "RunningOnTarget") is { } failed)
                {
                    throw new InvalidOperationException($"the own job's move '{failed.Label}' ended in {failed.Outcome}.");
                }
            }

            return rows;
        }
        finally
        {
            if (controller is not null)
            {
                await controller.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await scope.DisposeAsync().ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Splits drain and start with the trainer's own timestamps (same host clock): stop request -> last step line
    /// (stop latency), -> stopped event (checkpoint write), -> drain end (poll); Starting entered -> resume event
    /// (ssh launch, Python/torch import, checkpoint load), -> first step line, -> migration end (poll).
    /// </summary>
    private static async Task<string> BreakdownAsync(
        ITrainingAgent agent, SshTarget source, SshTarget target, string jobId, MigrationEntity m, IReadOnlyList<JobEventEntity> events, CancellationToken ct)
    {
        var src = (await agent.PollAsync(source, jobId, 0, ct).ConfigureAwait(false)).Lines;
        var dst = (await agent.PollAsync(target, jobId, m.LaunchProgressOffset ?? 0, ct).ConfigureAwait(false)).Lines;
        var stop = m.StopRequestedAt;
        var stopped = src.LastOrDefault(l => l.Event == "stopped")?.Timestamp;
        var lastStep = src.LastOrDefault(l => l.IsStep && (stopped is null || l.Timestamp <= stopped))?.Timestamp;
        var drainEnd = events.FirstOrDefault(e => e.MigrationId == m.Id && e.FromStep == "Draining")?.At;
        var startEntered = events.FirstOrDefault(e => e.MigrationId == m.Id && e.ToStep == "Starting")?.At;
        var resumed = dst.FirstOrDefault(l => l.Event == "resume")?.Timestamp;
        var firstStep = dst.FirstOrDefault(l => l.IsStep)?.Timestamp;
        static string S(DateTimeOffset? a, DateTimeOffset? b) =>
            a is { } x && b is { } y ? (y - x).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) : "?";
        return $"drain = stop latency {S(stop, lastStep)} + checkpoint write {S(lastStep, stopped)} + detection {S(stopped, drainEnd)}; " +
            $"start = go or launch+import, then load {S(startEntered, resumed)} + first step {S(resumed, firstStep)} + detection {S(firstStep, m.CompletedAt)}";
    }

    private static async Task<MigrationBenchRow> MeasureAsync(
        IConfiguration configuration, string? labKey, ITrainingAgent agent, JobService jobs, IDbContextFactory<GreenConsoleDbContext> db, IRemoteShell shell, int sourceId, int targetId,
        SshTarget source, SshTarget target, int stepDelayMs, long size, TextWriter output, CancellationToken ct)
    {
        var label = FormatSize(size);
        // The web app keeps masters to its clouds open (health checks every 30 s, ControlPersist 300 s), so both the
        // migration and the plain copy are measured over warm connections.
        await shell.CheckAsync(source, ct).ConfigureAwait(false);
        await shell.CheckAsync(target, ct).ConfigureAwait(false);
        // Enough epochs that the job still trains when the migration starts, whatever the step delay.
        var job = await jobs.StartAsync(new JobStartRequest(sourceId, "bench-" + label.Replace(" ", "", StringComparison.Ordinal), Epochs: 50, StepDelayMs: stepDelayMs, CheckpointPadBytes: size), ct).ConfigureAwait(false);
        try
        {
            await WaitAsync(async () =>
            {
                await using var c = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
                var j = await c.Jobs.AsNoTracking().FirstAsync(x => x.Id == job.Id, ct).ConfigureAwait(false);
                if (j.Status != JobStatus.Running)
                {
                    throw new InvalidOperationException($"Job {job.Id} is {j.Status} before its migration: {j.LastError}");
                }

                return j.LastStep >= 2;
            }, TimeSpan.FromMinutes(2), $"job {job.Id} to report progress on cloud {sourceId}", ct).ConfigureAwait(false);

            var migrationId = await jobs.MigrateAsync(job.Id, targetId, ct).ConfigureAwait(false);
            var deadline = TimeSpan.FromSeconds(120 + (size / 5_000_000.0));
            MigrationEntity? m = null;
            await WaitAsync(async () =>
            {
                await using var c = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
                m = await c.Migrations.AsNoTracking().FirstAsync(x => x.Id == migrationId, ct).ConfigureAwait(false);
                return m.CompletedAt is not null;
            }, deadline, $"migration {migrationId} of job {job.Id} to finish", ct).ConfigureAwait(false);

            var events = await jobs.EventsAsync(job.Id, ct).ConfigureAwait(false);
            double Step(string from) => events.Where(e => e.MigrationId == migrationId && e.FromStep == from).Sum(e => e.DurationMs ?? 0) / 1000.0;
            var downtime = m!.DowntimeSeconds ?? double.NaN;
            // The Draining step first warms the target's standby while the job still trains (not downtime), then sends the stop.
            var drainEnd = events.FirstOrDefault(e => e.MigrationId == migrationId && e.FromStep == "Draining")?.At;
            var drain = drainEnd is { } end && m.StopRequestedAt is { } stopAt ? (end - stopAt).TotalSeconds : Step("Draining");
            var warmUp = Math.Max(0, Step("Draining") - drain);
            var transfer = Step("Transferring");
            var verify = Step("Verifying");
            var start = Step("Starting");
            var other = downtime - drain - transfer - verify - start;
            if (m.Step != "RunningOnTarget")
            {
                await output.WriteLineAsync($"  {label}: migration ended in {m.Step}: {m.Error}").ConfigureAwait(false);
            }

            var detail = await BreakdownAsync(agent, source, target, job.Id, m, events, ct).ConfigureAwait(false);
            await StopJobAsync(jobs, db, job.Id, ct).ConfigureAwait(false);
            await RemoveJobFilesAsync(shell, [source, target], job.Id, ct).ConfigureAwait(false);

            var sameCipher = SameCipher(configuration);
            var (copy, copySame) = await PlainCopyAsync(shell, source, target, size, sameCipher, labKey, ct).ConfigureAwait(false);
            var row = new MigrationBenchRow(size, downtime, copy, copySame, sameCipher ?? "default", drain, transfer, verify, start, other, m.Step, detail, warmUp);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {label}: target warm-up before the stop {warmUp:0.00} s (the job kept training); downtime {downtime:0.00} s (drain {drain:0.00}, transfer {transfer:0.00} [{m.TransferSeconds:0.00} in the copy itself], verify {verify:0.00}, start {start:0.00}, other {other:0.00}); scp -3 {copy:0.00} s (OpenSSH defaults), {copySame:0.00} s (-c {row.SameCipher})")).ConfigureAwait(false);
            await output.WriteLineAsync("    " + detail).ConfigureAwait(false);
            return row;
        }
        catch
        {
            await StopJobAsync(jobs, db, job.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Cancels the benchmark job wherever it runs and waits until the controller saw it stop, so it costs no CPU in the next measurement.</summary>
    private static async Task StopJobAsync(JobService jobs, IDbContextFactory<GreenConsoleDbContext> db, string jobId, CancellationToken ct)
    {
        async Task<JobStatus> StatusAsync()
        {
            await using var c = await db.CreateDbContextAsync(ct).ConfigureAwait(false);
            return (await c.Jobs.AsNoTracking().FirstAsync(x => x.Id == jobId, ct).ConfigureAwait(false)).Status;
        }

        if (JobLifecycle.CanCancel(await StatusAsync().ConfigureAwait(false)))
        {
            await jobs.CancelAsync(jobId, ct).ConfigureAwait(false);
        }

        await WaitAsync(async () => JobLifecycle.IsFinal(await StatusAsync().ConfigureAwait(false)),
            TimeSpan.FromMinutes(2), $"job {jobId} to stop", ct).ConfigureAwait(false);
    }

    private static async Task RemoveJobFilesAsync(IRemoteShell shell, SshTarget[] where, string jobId, CancellationToken ct)
    {
        foreach (var t in where)
        {
            await shell.RunAsync(t, $"rm -rf \"$HOME/.greenconsole/jobs/{jobId}\"", TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The first cipher of Ssh:Ciphers (what our masters negotiate with OpenSSH servers), or null for OpenSSH's default.</summary>
    private static string? SameCipher(IConfiguration configuration)
    {
        // Unset means SshOptions' default list, which starts with aes128-gcm.
        var list = configuration["Ssh:Ciphers"] ?? "aes128-gcm@openssh.com";
        return list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
    }

    /// <summary>
    /// Seconds (wall time) of a literal <c>scp -3</c> of an incompressible file of <paramref name="size"/> bytes from source to
    /// target: fresh connections with the clouds' keys and OpenSSH defaults, then the same with <c>-c</c> <paramref name="cipher"/>.
    /// </summary>
    private static async Task<(double Defaults, double SameCipher)> PlainCopyAsync(IRemoteShell shell, SshTarget source, SshTarget target, long size, string? cipher, string? labKey, CancellationToken ct)
    {
        // Password clouds of the lab also accept the lab's client key (keys/lab_ed25519 next to its CSV).
        source = string.IsNullOrEmpty(source.KeyPath) ? source with { KeyPath = labKey } : source;
        target = string.IsNullOrEmpty(target.KeyPath) ? target with { KeyPath = labKey } : target;
        foreach (var t in new[] { source, target })
        {
            if (string.IsNullOrEmpty(t.KeyPath))
            {
                throw new InvalidOperationException($"The scp baseline needs key login to cloud {t.CloudId} (no key in the CSV and no keys/lab_ed25519 beside it); passwords are never put on a command line.");
            }
        }

        var name = "plain-" + size.ToString(CultureInfo.InvariantCulture) + ".bin";
        var make = await shell.RunAsync(source,
            string.Create(CultureInfo.InvariantCulture, $"mkdir -p \"$HOME/.greenconsole/bench\" && head -c {size} /dev/urandom > \"$HOME/.greenconsole/bench/{name}\" && echo \"$HOME\""),
            TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        if (make.ExitCode != 0)
        {
            throw new InvalidOperationException($"Cannot create the {FormatSize(size)} test file on {source.CloudId}: {make.StandardError.Trim()}");
        }

        var prepare = await shell.RunAsync(target, "mkdir -p \"$HOME/.greenconsole/bench\" && echo \"$HOME\"", TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        var knownHosts = Path.Combine(Path.GetTempPath(), "gc-bench-known-hosts-" + Guid.NewGuid().ToString("N"));
        try
        {
            var from = Uri(source, make.StandardOutput.Trim() + "/.greenconsole/bench/" + name);
            var to = Uri(target, prepare.StandardOutput.Trim() + "/.greenconsole/bench/" + name);
            var defaults = await ScpAsync(source, target, from, to, knownHosts, null, ct).ConfigureAwait(false);
            var same = await ScpAsync(source, target, from, to, knownHosts, cipher, ct).ConfigureAwait(false);
            return (defaults, same);
        }
        finally
        {
            File.Delete(knownHosts);
            foreach (var t in new[] { source, target })
            {
                await shell.RunAsync(t, "rm -rf \"$HOME/.greenconsole/bench\"", TimeSpan.FromMinutes(1), CancellationToken.None).ConfigureAwait(false);
            }
        }

        static string Uri(SshTarget t, string absolutePath) =>
            string.Create(CultureInfo.InvariantCulture, $"scp://{t.Username}@{t.Host}:{t.Port}/{absolutePath}");
    }

    private static async Task<double> ScpAsync(SshTarget source, SshTarget target, string from, string to, string knownHosts, string? cipher, CancellationToken ct)
    {
        var info = new ProcessStartInfo("/usr/bin/scp") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "-3", "-q", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
            "-i", Path.GetFullPath(source.KeyPath!), "-i", Path.GetFullPath(target.KeyPath!),
        })
        {
            info.ArgumentList.Add(a);
        }

        if (cipher is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cipher);
        }

        info.ArgumentList.Add(from);
        info.ArgumentList.Add(to);
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new InvalidOperationException("scp did not start.");
        var err = p.StandardError.ReadToEndAsync(ct);
        await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        watch.Stop();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"scp -3 from cloud {source.CloudId} to {target.CloudId} failed (exit {p.ExitCode}): {(await err.ConfigureAwait(false)).Trim()}");
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, CancellationToken ct)
    {
        var until = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (until.Elapsed > deadline)
            {
                throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteTableAsync(IReadOnlyList<MigrationBenchRow> rows, TextWriter output)
    {
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("size       downtime s  scp -3 s  scp -3 -c s   ratio  goal (<= 1.2 x scp + 2 s)    drain  transfer  verify  start  other  warm-up").ConfigureAwait(false);
        foreach (var r in rows)
        {
            var goal = string.Create(CultureInfo.InvariantCulture, $"{(r.MeetsGoal ? "met" : "MISSED")} (limit {(1.2 * r.PlainCopySeconds) + 2:0.00})");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{FormatSize(r.Bytes),-10} {r.DowntimeSeconds,10:0.00} {r.PlainCopySeconds,9:0.00} {r.SameCipherCopySeconds,12:0.00} {r.Ratio,7:0.00}  {goal,-27} {r.DrainSeconds,6:0.00} {r.TransferSeconds,9:0.00} {r.VerifySeconds,7:0.00} {r.StartSeconds,6:0.00} {r.OtherSeconds,6:0.00} {r.WarmUpSeconds,8:0.00}")).ConfigureAwait(false);
        }

        await output.WriteLineAsync("downtime = stop request -> first new progress line on the target (driver's DowntimeSeconds); drain = stop latency + checkpoint write; " +
            "a negative stop latency means the stop arrived during the step delay after the last logged step; " +
            "start = go to the warm standby (or launch + Python/torch import) + checkpoint load + first step + detection; " +
            "scp -3 = a literal scp -3 of a /dev/urandom file of the same size between the same clouds with OpenSSH's defaults (the goal's baseline); " +
            "scp -3 -c = the same with the cipher our connections prefer (Ssh:Ciphers' first); " +
            "warm-up = the target's standby finishing its imports before the stop request, while the job still trained on the source (not downtime).").ConfigureAwait(false);
    }
}
