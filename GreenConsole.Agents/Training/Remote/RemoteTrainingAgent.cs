using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Training.Remote;

/// <summary>
/// <see cref="ITrainingAgent"/> through <see cref="IRemoteShell"/> only. Remote layout under the home directory:
/// <c>&lt;RemoteDirectory&gt;/bin/</c> (helper + reference trainer), <c>&lt;RemoteDirectory&gt;/jobs/&lt;id&gt;/{job,ckpt,train.log}</c>.
/// </summary>
internal sealed class RemoteTrainingAgent : ITrainingAgent
{
    internal const string StatusMarker = "@@GC-STATUS@@";
    internal const string LauncherMarker = "@@GC-LAUNCHER@@";
    private const int MaxProgressChunkBytes = 4 * 1024 * 1024;

    private readonly IRemoteShell _shell;
    private readonly TrainingAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RemoteTrainingAgent> _logger;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _localHashes;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _deployLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _deployed = new(StringComparer.Ordinal);

    public RemoteTrainingAgent(IRemoteShell shell, IOptions<TrainingAgentOptions> options, TimeProvider time, ILogger<RemoteTrainingAgent> logger)
    {
        _shell = shell;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _localHashes = new Lazy<IReadOnlyDictionary<string, string>>(HashEmbeddedScripts);
    }

    private TimeSpan CommandTimeout => TimeSpan.FromSeconds(_options.CommandTimeoutSeconds);

    /// <summary>Shell prelude defining B (bin) and J (job root) from $HOME; the job id is validated, so it needs no quoting.</summary>
    private string Prelude(string? jobId)
    {
        var sb = new StringBuilder();
        sb.Append("B=\"$HOME/").Append(_options.RemoteDirectory).Append("/bin\"; ");
        if (jobId is not null)
        {
            sb.Append("J=\"$HOME/").Append(_options.RemoteDirectory).Append("/jobs/").Append(jobId).Append("\"; ");
        }

        return sb.ToString();
    }

    internal string RemoteJobRoot(string jobId) => "~/" + _options.RemoteDirectory + "/jobs/" + jobId;

    public async Task<DeployResult> DeployAsync(SshTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var started = _time.GetTimestamp();
        var key = target.CloudId + "|" + target;
        var gate = _deployLocks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bin = "~/" + _options.RemoteDirectory + "/bin";
            var check = await _shell.RunAsync(target,
                Prelude(null) + "cd \"$B\" 2>/dev/null && sha256sum -- " + string.Join(' ', TrainingScripts.FileNames) + " 2>/dev/null; true",
                CommandTimeout, cancellationToken).ConfigureAwait(false);
            var remote = ParseSha256Sum(check.StandardOutput);
            var expected = _localHashes.Value;
            if (expected.All(e => remote.TryGetValue(e.Key, out var h) && h == e.Value))
            {
                _deployed[key] = true;
                return new DeployResult(false, bin, _time.GetElapsedTime(started));
            }

            var staging = Directory.CreateTempSubdirectory("gc-deploy-");
            try
            {
                await TrainingScripts.ExtractToAsync(staging.FullName, cancellationToken).ConfigureAwait(false);
                foreach (var name in TrainingScripts.FileNames)
                {
                    // Upload to a temporary name, then rename, so a concurrently starting job never imports half a file.
                    await _shell.UploadAsync(target, Path.Combine(staging.FullName, name), bin + "/" + name + ".upload", cancellationToken).ConfigureAwait(false);
                }

                var move = string.Join("; ", TrainingScripts.FileNames.Select(n => $"mv -f \"$B/{n}.upload\" \"$B/{n}\""));
                var moved = await _shell.RunAsync(target, Prelude(null) + "set -e; " + move + "; cd \"$B\" && sha256sum -- " + string.Join(' ', TrainingScripts.FileNames),
                    CommandTimeout, cancellationToken).ConfigureAwait(false);
                var after = ParseSha256Sum(moved.StandardOutput);
                if (!moved.Succeeded || !expected.All(e => after.TryGetValue(e.Key, out var h) && h == e.Value))
                {
                    throw new TrainingJobException(
                        $"Deploying the training scripts to cloud {target.CloudId} failed: the uploaded files do not match (exit {moved.ExitCode}: {Trim(moved.StandardError)}).",
                        moved.ExitCode);
                }
            }
            finally
            {
                staging.Delete(recursive: true);
            }

            _deployed[key] = true;
            _logger.LogInformation("Deployed training scripts to cloud {Cloud} in {Ms} ms", target.CloudId, (long)_time.GetElapsedTime(started).TotalMilliseconds);
            return new DeployResult(true, bin, _time.GetElapsedTime(started));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Deploys once per cloud and agent lifetime; status and verify need the helper but not a fresh hash check.</summary>
    private async Task EnsureDeployedAsync(SshTarget target, CancellationToken cancellationToken)
    {
        if (!_deployed.ContainsKey(target.CloudId + "|" + target))
        {
            await DeployAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<TrainingLaunchResult> StartAsync(SshTarget target, TrainingJobSpec spec, bool resume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireJobId(spec.JobId);
        if (spec.Workload is null && spec.Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.Epochs, "Epochs must be >= 1.");
        }

        await DeployAsync(target, cancellationToken).ConfigureAwait(false);

        var before = await PollAsync(target, spec.JobId, long.MaxValue, cancellationToken).ConfigureAwait(false);
        // A trainer that just wrote its stopped/done marker is still tearing down for a moment: let it exit first.
        for (var i = 0; i < 40 && before.Status.LauncherAlive && before.Status.State is RemoteJobState.Stopped or RemoteJobState.Done; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, cancellationToken).ConfigureAwait(false);
            before = await PollAsync(target, spec.JobId, long.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        if (before.Status.State == RemoteJobState.Running && before.Status.Alive != false || before.Status.LauncherAlive)
        {
            throw new TrainingJobException($"Job '{spec.JobId}' already runs on cloud {target.CloudId} (pid {before.Status.Pid}); it is not started twice.");
        }

        var command = new StringBuilder()
            .Append(Prelude(spec.JobId))
            .Append("set -e; mkdir -p \"$J/job\" \"$J/ckpt\"; ")
            // Markers of an earlier incarnation would make the next status look stopped/done before the trainer starts.
            .Append("rm -f \"$J/job/stop\" \"$J/job/stopped\" \"$J/job/done\" \"$J/job/job.json\" \"$J/job/launch.pid\"; ")
            .Append("if [ -f \"$J/job/progress.jsonl\" ]; then wc -c < \"$J/job/progress.jsonl\"; else echo 0; fi; ")
            .Append(await LaunchCommandAsync(target, spec, resume, null, "launch", cancellationToken).ConfigureAwait(false))
            .ToString();
        var launchedAt = _time.GetUtcNow();
        var r = await _shell.RunAsync(target, command, CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded || !long.TryParse(r.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new TrainingJobException(
                $"Starting job '{spec.JobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        _logger.LogInformation("Started job {Job} on cloud {Cloud} (resume {Resume}, progress offset {Offset})", spec.JobId, target.CloudId, resume, offset);
        return new TrainingLaunchResult(offset, launchedAt);
    }

    /// <summary>
    /// cd into the job, start the trainer (or the supervisor of a researcher's command) detached with the GC_*
    /// variables, record its pid in <c>$J/job/&lt;role&gt;.pid</c>. A researcher's command travels in a run file
    /// uploaded first (owner-only): its environment may hold secrets, which must never be on a command line.
    /// </summary>
    private async Task<string> LaunchCommandAsync(SshTarget target, TrainingJobSpec spec, bool resume, IReadOnlyDictionary<string, string>? extra, string role, CancellationToken ct)
    {
        var launch = new TrainingLaunch("$J/job", "$J/ckpt", resume, null, spec.CheckpointPadBytes, spec.StepDelayMs);
        var variables = launch.ToEnvironment().Concat(extra ?? new Dictionary<string, string>());
        var env = string.Join(' ', variables.Select(kv => kv.Key + "=\"" + kv.Value + "\""));
        var sb = new StringBuilder()
            .Append("cd \"$J\"; ");
        if (spec.Workload is { } w)
        {
            var runFile = "run-" + role + ".json";
            await UploadRunFileAsync(target, spec.JobId, runFile, w, ct).ConfigureAwait(false);
            sb.Append("chmod 600 \"$J/").Append(runFile).Append("\"; ")
                .Append("env ").Append(env).Append(' ')
                .Append("setsid nohup ").Append(_options.Python).Append(" \"$B/").Append(TrainingScripts.SupervisorFileName).Append("\" ")
                .Append("\"$J/").Append(runFile).Append('"');
        }
        else
        {
            sb.Append("env ").Append(env).Append(' ')
                .Append("setsid nohup ").Append(_options.Python).Append(" \"$B/").Append(TrainingScripts.ReferenceTrainerFileName).Append("\" ")
                .Append(CultureInfo.InvariantCulture, $"--seed {spec.Seed} --epochs {spec.Epochs}");
        }

        return sb.Append(" </dev/null >>\"$J/train.log\" 2>&1 & ")
            .Append("echo $! > \"$J/job/").Append(role).Append(".pid\"")
            .ToString();
    }

    private async Task UploadRunFileAsync(SshTarget target, string jobId, string runFile, JobWorkload w, CancellationToken ct)
    {
        var mkdir = await _shell.RunAsync(target, Prelude(jobId) + "umask 077; mkdir -p \"$J/job\" \"$J/ckpt\" && rm -f \"$J/" + runFile + "\"",
            CommandTimeout, ct).ConfigureAwait(false);
        if (!mkdir.Succeeded)
        {
            throw new TrainingJobException($"Preparing job '{jobId}' on cloud {target.CloudId} failed (exit {mkdir.ExitCode}): {Trim(mkdir.StandardError)}", mkdir.ExitCode);
        }

        var local = Path.Combine(Path.GetTempPath(), "gc-run-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var f = new FileStream(local, create))
            {
                await System.Text.Json.JsonSerializer.SerializeAsync(f, RunFile.Of(w), RunFile.Json, ct).ConfigureAwait(false);
            }

            await _shell.UploadAsync(target, local, RemoteJobRoot(jobId) + "/" + runFile, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(local);
        }
    }

    /// <summary>Shell test: pid <c>$1</c> is a live (not zombie) process whose command line names the reference trainer.</summary>
    /// <summary>
    /// <c>pid_running PID</c>: the process exists and is not a zombie. A reparented zombie still answers kill -0 where
    /// nothing reaps orphans (containers), so the state letter from /proc decides.
    /// </summary>
    private const string PidRunningFunction =
        "pid_running() { [ -n \"$1\" ] || return 1; st=$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null); " +
        "[ -n \"$st\" ] && [ \"$st\" != Z ] && [ \"$st\" != X ]; }; ";

    /// <summary><c>trainer_alive PID</c>: running, and still the trainer (a recycled pid is not).</summary>
    private const string TrainerAliveFunction = PidRunningFunction +
        "trainer_alive() { pid_running \"$1\" && tr '\\0' ' ' < /proc/$1/cmdline 2>/dev/null | grep -qE '" + TrainerPattern + "'; }; ";

    /// <summary>What a live incarnation's command line names: the reference trainer, or the supervisor of a researcher's command.</summary>
    private const string TrainerPattern = TrainingScripts.ReferenceTrainerFileName + "|" + TrainingScripts.SupervisorFileName;

    public async Task<bool> StartStandbyAsync(SshTarget target, TrainingJobSpec spec, TimeSpan standbyTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireJobId(spec.JobId);
        ArgumentOutOfRangeException.ThrowIfLessThan(standbyTimeout, TimeSpan.FromSeconds(1));
        await DeployAsync(target, cancellationToken).ConfigureAwait(false);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TrainingProtocol.StandbyVariable] = "1",
            [TrainingProtocol.StandbyTimeoutVariable] = ((long)Math.Ceiling(standbyTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        };
        var command = new StringBuilder()
            .Append(Prelude(spec.JobId))
            .Append(TrainerAliveFunction)
            .Append("set -e; mkdir -p \"$J/job\" \"$J/ckpt\"; ")
            // Never next to a running incarnation; an earlier standby of this job is replaced.
            .Append("if trainer_alive \"$(cat \"$J/job/launch.pid\" 2>/dev/null)\"; then echo busy; exit 0; fi; ")
            .Append("p=$(cat \"$J/job/standby.pid\" 2>/dev/null || true); if trainer_alive \"$p\"; then kill -9 \"$p\"; fi; ")
            .Append("rm -f \"$J/job/go\" \"$J/job/standby.pid\" \"$J/job/standby.ready\"; ")
            .Append(await LaunchCommandAsync(target, spec, resume: true, extra, "standby", cancellationToken).ConfigureAwait(false))
            .Append("; echo standby")
            .ToString();
        var r = await _shell.RunAsync(target, command, CommandTimeout, cancellationToken).ConfigureAwait(false);
        var answer = r.StandardOutput.Trim();
        if (!r.Succeeded || answer is not ("busy" or "standby"))
        {
            throw new TrainingJobException(
                $"Starting a standby of job '{spec.JobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        _logger.LogInformation("Standby of job {Job} on cloud {Cloud}: {Answer}", spec.JobId, target.CloudId, answer);
        return answer == "standby";
    }

    public async Task<bool> WaitForStandbyReadyAsync(SshTarget target, string jobId, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        // 50 ms sleeps on the cloud (the standby is importing there: the wait must not compete with it for CPU); the
        // liveness check forks, so it runs every fifth round. The round count bounds the wait without a clock there.
        var rounds = Math.Clamp((int)(maxWait.TotalMilliseconds / 55), 1, 1_000_000);
        var command = Prelude(jobId) + TrainerAliveFunction + "p=$(cat \"$J/job/standby.pid\" 2>/dev/null); " +
            WaitLoop(rounds, "0.05",
                "[ -e \"$J/job/standby.ready\" ] && { echo ready; exit 0; }; " +
                "if [ $((wi % 5)) -eq 0 ]; then trainer_alive \"$p\" || { echo gone; exit 0; }; fi; ") +
            "echo waiting";
        var r = await _shell.RunAsync(target, command, CommandTimeout + maxWait, cancellationToken).ConfigureAwait(false);
        var answer = r.StandardOutput.Trim();
        if (!r.Succeeded || answer is not ("ready" or "gone" or "waiting"))
        {
            throw new TrainingJobException(
                $"Waiting for the standby of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        _logger.LogInformation("Standby of job {Job} on cloud {Cloud}: {Answer}", jobId, target.CloudId, answer);
        return answer == "ready";
    }

    public async Task<TrainingLaunchResult?> ReleaseStandbyAsync(SshTarget target, string jobId, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        // The standby's pid becomes the launcher pid before go appears, so status and kill treat it as the job from then on.
        var command = Prelude(jobId) + TrainerAliveFunction +
            "p=$(cat \"$J/job/standby.pid\" 2>/dev/null); if trainer_alive \"$p\"; then " +
            "rm -f \"$J/job/stop\" \"$J/job/stopped\" \"$J/job/done\" \"$J/job/job.json\"; " +
            "if [ -f \"$J/job/progress.jsonl\" ]; then wc -c < \"$J/job/progress.jsonl\"; else echo 0; fi; " +
            "mv -f \"$J/job/standby.pid\" \"$J/job/launch.pid\" && touch \"$J/job/go\"; " +
            "else rm -f \"$J/job/standby.pid\"; echo none; fi";
        var releasedAt = _time.GetUtcNow();
        var r = await _shell.RunAsync(target, command, CommandTimeout, cancellationToken).ConfigureAwait(false);
        var answer = r.StandardOutput.Trim();
        if (r.Succeeded && answer == "none")
        {
            return null;
        }

        if (!r.Succeeded || !long.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new TrainingJobException(
                $"Releasing the standby of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        _logger.LogInformation("Released the standby of job {Job} on cloud {Cloud} (progress offset {Offset})", jobId, target.CloudId, offset);
        return new TrainingLaunchResult(offset, releasedAt);
    }

    public async Task RequestStopAsync(SshTarget target, string jobId, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        var r = await _shell.RunAsync(target, Prelude(jobId) + "mkdir -p \"$J/job\" && touch \"$J/job/stop\"", CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new TrainingJobException($"Requesting a stop of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }
    }

    public async Task<bool> KillAsync(SshTarget target, string jobId, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        // Kills the launcher pid and the trainer's own pid (job.json), but only processes whose command line names this job's bin folder.
        var command = Prelude(jobId) +
            "k=0; for p in $(cat \"$J/job/launch.pid\" \"$J/job/standby.pid\" 2>/dev/null) $(sed -n 's/.*\"pid\": *\\([0-9][0-9]*\\).*/\\1/p' \"$J/job/job.json\" 2>/dev/null); do " +
            "if kill -0 \"$p\" 2>/dev/null && tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qE '" + TrainerPattern + "'; then kill -9 \"$p\" && k=1; fi; done; " +
            // A researcher's command runs in its own process group, which outlives a killed supervisor. No "--": dash's
            // kill takes a negative pid only right after the signal.
            "g=$(sed -n 's/.*\"pgid\": *\\([0-9][0-9]*\\).*/\\1/p' \"$J/job/child.json\" 2>/dev/null); " +
            "if [ -n \"$g\" ] && [ \"$g\" -gt 1 ] && kill -0 -\"$g\" 2>/dev/null; then kill -9 -\"$g\" && k=1; fi; " +
            "rm -f \"$J/job/launch.pid\" \"$J/job/standby.pid\" \"$J/job/go\"; echo $k";
        var r = await _shell.RunAsync(target, command, CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new TrainingJobException($"Killing job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        var killed = r.StandardOutput.Trim() == "1";
        if (killed)
        {
            _logger.LogInformation("Killed job {Job} on cloud {Cloud}", jobId, target.CloudId);
        }

        return killed;
    }

    public async Task<bool> HoldAsync(SshTarget target, string jobId, bool hold, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        // The supervisor checks the suspend file every 100 ms; the wait is bounded by rounds, not the cloud's clock.
        var command = Prelude(jobId) + (hold ? "touch \"$J/job/suspend\"; " : "rm -f \"$J/job/suspend\"; ") +
            WaitLoop(100, "0.05", hold
                ? "[ -e \"$J/job/suspended\" ] && { echo held; exit 0; }; "
                : "[ -e \"$J/job/suspended\" ] || { echo released; exit 0; }; ") +
            "echo waiting";
        var r = await _shell.RunAsync(target, command, CommandTimeout + TimeSpan.FromSeconds(6), cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new TrainingJobException($"{(hold ? "Holding" : "Releasing")} job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        var answer = r.StandardOutput.Trim();
        _logger.LogInformation("Job {Job} on cloud {Cloud}: {Answer}", jobId, target.CloudId, answer);
        return answer is "held" or "released";
    }

    public async Task<JobOutputChunk> ReadOutputAsync(SshTarget target, string jobId, JobOutputStream stream, long offset, int maxBytes, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var file = stream == JobOutputStream.Stdout ? "stdout.log" : "stderr.log";
        maxBytes = Math.Min(maxBytes, MaxProgressChunkBytes);
        // Size first, then bytes as base64: a log is the cloud's output and may hold anything, including invalid UTF-8.
        var command = Prelude(jobId) + string.Create(CultureInfo.InvariantCulture,
            $"f=\"$J/job/{file}\"; if [ -f \"$f\" ]; then wc -c < \"$f\"; tail -c +{offset + 1} \"$f\" | head -c {maxBytes} | base64 -w0; else echo 0; fi");
        var r = await _shell.RunAsync(target, command, CommandTimeout, cancellationToken).ConfigureAwait(false);
        var lines = r.StandardOutput.Split('\n', 2);
        if (!r.Succeeded || !long.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new TrainingJobException($"Reading the {file} of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        byte[] bytes;
        try
        {
            bytes = lines.Length > 1 ? Convert.FromBase64String(lines[1].Trim()) : [];
        }
        catch (FormatException e)
        {
            throw new TrainingJobException($"Reading the {file} of job '{jobId}' on cloud {target.CloudId}: the answer is not base64.", r.ExitCode, e);
        }

        return new JobOutputChunk(Encoding.UTF8.GetString(bytes), offset + bytes.Length, size);
    }

    public Task<TrainingPoll> PollAsync(SshTarget target, string jobId, long offset, CancellationToken cancellationToken) =>
        PollCoreAsync(target, jobId, offset, string.Empty, CommandTimeout, cancellationToken);

    public Task<TrainingPoll> WaitAndPollAsync(SshTarget target, string jobId, long offset, RemoteWaitCondition until, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // ~10 ms sleeps plus a few ms of forks per round; the count bounds the wait without a clock on the cloud.
        var rounds = Math.Clamp((int)(maxWait.TotalMilliseconds / 12), 1, 100_000);
        var done = until switch
        {
            RemoteWaitCondition.StoppedOrDone => string.Empty,
            RemoteWaitCondition.NewStepLine when offset != long.MaxValue => string.Create(CultureInfo.InvariantCulture,
                $"tail -c +{offset + 1} \"$J/job/progress.jsonl\" 2>/dev/null | grep -q '\"event\":\"step\"' && break; "),
            RemoteWaitCondition.NewStepLine => string.Empty,
            _ => throw new ArgumentOutOfRangeException(nameof(until), until, "Unknown wait condition."),
        };
        var wait = "wp=$(cat \"$J/job/launch.pid\" 2>/dev/null); " +
            WaitLoop(rounds, "0.01", done +
                "{ [ -e \"$J/job/stopped\" ] || [ -e \"$J/job/done\" ]; } && break; " +
                "if [ -n \"$wp\" ] && ! pid_running \"$wp\"; then break; fi; ");
        return PollCoreAsync(target, jobId, offset, wait, CommandTimeout + maxWait, cancellationToken);
    }

    /// <summary>
    /// A wait on the cloud bounded by a round count rather than a clock (the cloud's clock is not ours): runs
    /// <paramref name="body"/> (which may break out or exit) then sleeps, at most <paramref name="rounds"/> times.
    /// <c>$wi</c> is the round number inside the body.
    /// </summary>
    private static string WaitLoop(int rounds, string sleepSeconds, string body) => string.Create(CultureInfo.InvariantCulture,
        $"wi=0; while [ $wi -lt {rounds} ]; do {body}sleep {sleepSeconds}; wi=$((wi+1)); done; ");

    private async Task<TrainingPoll> PollCoreAsync(SshTarget target, string jobId, long offset, string waitFirst, TimeSpan timeout, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        await EnsureDeployedAsync(target, cancellationToken).ConfigureAwait(false);
        var readProgress = offset == long.MaxValue
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture,
                $"if [ -f \"$J/job/progress.jsonl\" ]; then tail -c +{offset + 1} \"$J/job/progress.jsonl\" | head -c {MaxProgressChunkBytes}; fi; ");
        // Status is read before the progress: the trainer closes progress.jsonl before it writes its stopped/done
        // marker, so a terminal status guarantees that every line it logged is already in the file the tail reads.
        var command = Prelude(jobId) + PidRunningFunction + waitFirst +
            $"gcst=$({_options.Python} \"$B/{TrainingScripts.HelperFileName}\" status \"$J/job\"); s=$?; " +
            "if [ -f \"$J/job/progress.jsonl\" ]; then gcsz=$(wc -c < \"$J/job/progress.jsonl\"); else gcsz=0; fi; " +
            readProgress +
            $"printf '\\n{StatusMarker}\\n%s\\n' \"$gcst\"; " +
            $"printf '{LauncherMarker} '; " +
            "if pid_running \"$(cat \"$J/job/launch.pid\" 2>/dev/null)\"; then a=1; else a=0; fi; echo \"$a $gcsz\"; exit $s";
        var r = await _shell.RunAsync(target, command, timeout, cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new TrainingJobException(
                $"Status of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        var where = $"job '{jobId}' on cloud {target.CloudId}";
        try
        {
            return ParsePoll(r.StandardOutput, offset == long.MaxValue ? null : offset, where);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            // What a cloud prints is that cloud's problem: it fails this job's poll, never the controller.
            throw new TrainingJobException($"Status of {where}: the answer does not follow the training protocol: {Trim(e.Message)}", r.ExitCode, e);
        }
    }

    /// <param name="readOffset">The offset the progress was read from; null for a status-only poll.</param>
    internal static TrainingPoll ParsePoll(string output, long? readOffset, string where)
    {
        var readsProgress = readOffset is not null;
        var offset = readOffset ?? 0;
        var statusAt = output.IndexOf("\n" + StatusMarker + "\n", StringComparison.Ordinal);
        var launcherAt = output.LastIndexOf("\n" + LauncherMarker + " ", StringComparison.Ordinal);
        if (statusAt < 0 || launcherAt < statusAt)
        {
            throw new TrainingJobException($"Status of {where}: unexpected output (markers missing): {Trim(output)}");
        }

        var chunk = output[..statusAt];
        var statusJson = output[(statusAt + StatusMarker.Length + 2)..launcherAt];
        var launcher = output[(launcherAt + LauncherMarker.Length + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var launcherAlive = launcher.Length > 0 && launcher[0] == "1";
        long? fileBytes = launcher.Length > 1 && long.TryParse(launcher[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;

        var lines = new List<TrainingProgressPoint>();
        var lastNewline = chunk.LastIndexOf('\n');
        var consumed = 0L;
        if (lastNewline >= 0)
        {
            var complete = chunk[..(lastNewline + 1)];
            consumed = Encoding.UTF8.GetByteCount(complete);
            foreach (var p in TrainingProtocolParser.ParseProgressLog(complete))
            {
                lines.Add(new TrainingProgressPoint(p.Event, p.Step, p.Epoch, p.Loss, p.Samples, p.Timestamp, p.Checkpoint));
            }
        }

        var s = TrainingProtocolParser.ParseStatusOutput(statusJson);
        var status = new RemoteJobStatus(
            s.State switch
            {
                TrainingJobState.NotStarted => RemoteJobState.NotStarted,
                TrainingJobState.Running => RemoteJobState.Running,
                TrainingJobState.Stopped => RemoteJobState.Stopped,
                TrainingJobState.Done => RemoteJobState.Done,
                _ => RemoteJobState.Exited,
            },
            s.Pid,
            s.Alive,
            s.StopRequested,
            s.LastProgress?.Step,
            s.Stopped?.Checkpoint,
            s.Stopped?.Step,
            s.Stopped?.CheckpointBytes ?? 0,
            s.Done?.FinalWeightsSha256,
            s.Done?.Step,
            s.LatestCheckpoint,
            launcherAlive,
            ReadTotalSteps(statusJson),
            s.Exit,
            s.Suspended,
            s.Stopped?.LostSteps,
            s.Stopped?.Reason);
        var next = offset + consumed;
        // Only meaningful for a read from a real offset; a status-only poll (offset long.MaxValue) reads no lines.
        var more = readsProgress && fileBytes is { } total && total > next;
        return new TrainingPoll(status, lines, next, more);
    }

    /// <summary>The reference trainer records total_steps in job.json; other trainers may not.</summary>
    private static long? ReadTotalSteps(string statusJson)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(statusJson);
        return doc.RootElement.TryGetProperty("job", out var job) && job.ValueKind == System.Text.Json.JsonValueKind.Object
            && job.TryGetProperty("total_steps", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.Number && t.TryGetInt64(out var n)
            ? n
            : null;
    }

    public async Task<CheckpointVerification> VerifyCheckpointAsync(SshTarget target, string jobId, string checkpoint, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        RequireCheckpointName(checkpoint);
        await EnsureDeployedAsync(target, cancellationToken).ConfigureAwait(false);
        var r = await _shell.RunAsync(target,
            // --mark leaves .verified (manifest hash + path) so the resumed trainer need not hash the same bytes again.
            Prelude(jobId) + $"{_options.Python} \"$B/{TrainingScripts.HelperFileName}\" verify --mark \"$J/ckpt/{checkpoint}\"",
            CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (r.ExitCode is not (0 or 1))
        {
            throw new TrainingJobException(
                $"Verifying checkpoint {checkpoint} of job '{jobId}' on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }

        TrainingVerifyResult v;
        try
        {
            v = TrainingProtocolParser.ParseVerifyOutput(r.StandardOutput);
        }
        catch (FormatException e)
        {
            throw new TrainingJobException(
                $"Verifying checkpoint {checkpoint} of job '{jobId}' on cloud {target.CloudId}: the answer does not follow the training protocol: {Trim(e.Message)}",
                r.ExitCode, e);
        }

        return new CheckpointVerification(v.Ok && r.ExitCode == 0, v.Step, v.Bytes, v.Problems.Select(p => p.File + ": " + p.Problem).ToList(),
            v.Sha256, v.Problems.Any(p => p.Unsafe));
    }

    public async Task<CheckpointTransfer> CopyCheckpointAsync(SshTarget source, SshTarget destination, string jobId, string checkpoint, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        RequireCheckpointName(checkpoint);
        var path = RemoteJobRoot(jobId) + "/ckpt/" + checkpoint;
        TransferResult result;
        try
        {
            result = await _shell.CopyBetweenAsync(source, path, destination, path, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteShellException e) when (e.InnerException is Ssh.UnsafeArchiveException refused)
        {
            throw new UntrustedCheckpointException(
                $"Checkpoint {checkpoint} of job '{jobId}' from cloud {source.CloudId} was refused while copying: {refused.Message}", e);
        }

        _logger.LogInformation("Copied checkpoint {Checkpoint} of job {Job} from cloud {Source} to {Destination}: {Bytes} bytes in {Ms} ms ({Rate} MB/s)",
            checkpoint, jobId, source.CloudId, destination.CloudId, result.Bytes, (long)result.Elapsed.TotalMilliseconds,
            Math.Round(result.BytesPerSecond / 1e6, 2));
        CheckpointRecord? record = null;
        if (result.Files is { } files)
        {
            try
            {
                record = CheckpointRecord.FromCopiedTree(checkpoint, files);
            }
            catch (InvalidDataException e)
            {
                throw new UntrustedCheckpointException($"Checkpoint {checkpoint} of job '{jobId}' from cloud {source.CloudId}: {e.Message}", e);
            }
        }

        return new CheckpointTransfer(result.Bytes, result.Elapsed, record);
    }

    public async Task SetLatestCheckpointAsync(SshTarget target, string jobId, string checkpoint, CancellationToken cancellationToken)
    {
        RequireJobId(jobId);
        RequireCheckpointName(checkpoint);
        var r = await _shell.RunAsync(target,
            Prelude(jobId) + $"set -e; printf '%s\\n' {checkpoint} > \"$J/ckpt/.latest.gc\"; mv -f \"$J/ckpt/.latest.gc\" \"$J/ckpt/latest\"",
            CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new TrainingJobException($"Pointing 'latest' of job '{jobId}' at {checkpoint} on cloud {target.CloudId} failed (exit {r.ExitCode}): {Trim(r.StandardError)}", r.ExitCode);
        }
    }

    private static void RequireJobId(string jobId)
    {
        if (!TrainingJobSpec.IsValidJobId(jobId))
        {
            throw new ArgumentException($"Job id '{jobId}' is invalid: use 1-64 letters, digits, '-' or '_'.", nameof(jobId));
        }
    }

    private static void RequireCheckpointName(string checkpoint)
    {
        if (checkpoint is null || !checkpoint.StartsWith(TrainingProtocol.CheckpointPrefix, StringComparison.Ordinal)
            || !long.TryParse(checkpoint.AsSpan(TrainingProtocol.CheckpointPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ArgumentException($"Checkpoint name '{checkpoint}' is invalid: expected step-<k>.", nameof(checkpoint));
        }
    }

    private static Dictionary<string, string> ParseSha256Sum(string output)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2)
            {
                result[parts[1].TrimStart('*')] = parts[0];
            }
        }

        return result;
    }

    private static IReadOnlyDictionary<string, string> HashEmbeddedScripts()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in TrainingScripts.FileNames)
        {
            using var stream = TrainingScripts.OpenEmbedded(name);
            result[name] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        return result;
    }

    private static string Trim(string text)
    {
        var t = text.Trim();
        return t.Length <= 400 ? t : t[..400] + "...";
    }
}
