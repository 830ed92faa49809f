using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Ssh;

/// <summary>
/// <see cref="IRemoteShell"/> over the machine's OpenSSH client (ssh, scp, ssh-keyscan run as processes).
/// One multiplexed master per cloud; passwords reach ssh only through an askpass helper and the child's environment.
/// </summary>
internal sealed partial class OpenSshRemoteShell : IRemoteShell, IAsyncDisposable
{
    internal const string SecretVariable = "GC_SSH_ASKPASS_SECRET";

    // A unix socket path must stay below 104 bytes (BSD limit; Linux allows 108) and ssh appends a 17-character
    // temporary suffix while creating the master socket, so the folder holding them must be short.
    private const int MaxControlDirLength = 60;

    private static readonly UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly SshOptions _options;
    private readonly ILogger<OpenSshRemoteShell> _logger;
    private readonly TimeProvider _time;
    private readonly SshSessionLimiter _limiter;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _masterLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SshTarget> _masters = new(StringComparer.Ordinal);
    private readonly object _knownHostsLock = new();
    private readonly string _pathSalt = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private int _disposed;

    public OpenSshRemoteShell(IOptions<SshOptions> options, ILogger<OpenSshRemoteShell> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        _limiter = new SshSessionLimiter(_options.MaxParallelSessions, _options.MaxSessionsPerCloud);

        DataDirectory = Path.GetFullPath(_options.DataDirectory);
        CreatePrivateDirectory(DataDirectory);
        KnownHostsFile = Path.Combine(DataDirectory, "known_hosts");
        ControlDirectory = ChooseControlDirectory(DataDirectory);
        CreatePrivateDirectory(ControlDirectory);
        AskPassPath = Path.Combine(DataDirectory, "askpass.sh");
        WriteAskPass(AskPassPath);
    }

    public string DataDirectory { get; }

    public string KnownHostsFile { get; }

    /// <summary>Where the ControlMaster sockets live; every master's process title names this folder.</summary>
    public string ControlDirectory { get; }

    public string AskPassPath { get; }

    public async Task<RemoteCommandResult> RunAsync(SshTarget target, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        Validate(target);
        if (timeout <= TimeSpan.Zero)
        {
            timeout = TimeSpan.FromSeconds(_options.DefaultCommandTimeoutSeconds);
        }

        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        await EnsureMasterAsync(target, Min(timeout, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds)), cancellationToken)
            .ConfigureAwait(false);

        var runId = _options.KillRemoteOnAbort ? Guid.NewGuid().ToString("N")[..16] : null;
        var remote = runId is null ? command : RemoteKill.Wrap(command, runId);
        var remaining = timeout - _time.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero)
        {
            throw Timeout(target, timeout);
        }

        SshProcessResult r;
        try
        {
            r = await SshProcess.RunAsync(SshStart(target, "-T", "--", Host(target), remote), remaining, _time, cancellationToken, Limits)
                .ConfigureAwait(false);
        }
        catch (SshProcessTimeoutException)
        {
            await KillRemoteAsync(target, runId).ConfigureAwait(false);
            throw Timeout(target, timeout);
        }
        catch (SshProcessOutputLimitException)
        {
            await KillRemoteAsync(target, runId).ConfigureAwait(false);
            throw OutputLimit(target, "The command");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await KillRemoteAsync(target, runId).ConfigureAwait(false);
            _logger.LogInformation("Command on {Cloud} cancelled after {Ms} ms", target.CloudId, Ms(_time.GetElapsedTime(started)));
            throw;
        }

        // 255 is also a legal exit code of a remote program; only ssh's own diagnostics make it a connection failure.
        if (r.ExitCode == 255 && SshErrorClassifier.Classify(r.StandardError) is not null)
        {
            throw Failure(target, r.StandardError);
        }

        var elapsed = _time.GetElapsedTime(started);
        _logger.LogDebug("Command on {Cloud} exited {ExitCode} in {Ms} ms", target.CloudId, r.ExitCode, Ms(elapsed));
        return new RemoteCommandResult(r.ExitCode, r.StandardOutput, r.StandardError, elapsed);
    }

    public async Task UploadAsync(SshTarget target, string localPath, string remotePath, CancellationToken cancellationToken)
    {
        Validate(target);
        var local = Path.GetFullPath(localPath);
        if (!File.Exists(local) && !Directory.Exists(local))
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed, $"Upload to cloud {target.CloudId}: local path '{local}' does not exist.");
        }

        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        var limit = TimeSpan.FromSeconds(_options.TransferTimeoutSeconds);
        await EnsureMasterAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);

        var (parent, _) = RemoteQuoting.Split(remotePath);
        var mkdir = await RunInternalAsync(target, "mkdir -p -- " + RemoteQuoting.QuotePath(parent), limit, cancellationToken).ConfigureAwait(false);
        if (mkdir.ExitCode != 0)
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                Redact(target, $"Upload to cloud {target.CloudId}: cannot create '{parent}': {SshErrorClassifier.Summarize(mkdir.StandardError)}"));
        }

        await ScpAsync(target, local, ScpRemote(target, remotePath), limit, "Upload", cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Uploaded {Local} to {Cloud}:{Remote} in {Ms} ms", local, target.CloudId, remotePath, Ms(_time.GetElapsedTime(started)));
    }

    public async Task DownloadAsync(SshTarget target, string remotePath, string localPath, CancellationToken cancellationToken)
    {
        Validate(target);
        var local = Path.GetFullPath(localPath);
        var parent = Path.GetDirectoryName(local);
        if (parent is not null)
        {
            Directory.CreateDirectory(parent);
        }

        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        await EnsureMasterAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        await ScpAsync(target, ScpRemote(target, remotePath), local, TimeSpan.FromSeconds(_options.TransferTimeoutSeconds), "Download", cancellationToken)
            .ConfigureAwait(false);
        _logger.LogInformation("Downloaded {Cloud}:{Remote} to {Local} in {Ms} ms", target.CloudId, remotePath, local, Ms(_time.GetElapsedTime(started)));
    }

    /// <summary>
    /// Streams a tar of the source path from one cloud into the other through this process's memory (never its disk).
    /// The destination path is replaced atomically (extracted beside it, then renamed). Bytes counts the tar stream.
    /// </summary>
    public async Task<TransferResult> CopyBetweenAsync(
        SshTarget source, string sourcePath, SshTarget destination, string destinationPath, CancellationToken cancellationToken)
    {
        Validate(source);
        Validate(destination);
        using var lease = await AcquireAsync([source, destination], cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        var setup = TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds);
        await Task.WhenAll(
            EnsureMasterAsync(source, setup, cancellationToken),
            EnsureMasterAsync(destination, setup, cancellationToken)).ConfigureAwait(false);

        var pack = TreeCopy.PackCommand(sourcePath);
        var unpack = TreeCopy.UnpackCommand(sourcePath, destinationPath);

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TransferTimeoutSeconds), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        using var producer = SshProcess.Start(SshStart(source, "-T", "--", Host(source), pack));
        using var consumer = SshProcess.Start(SshStart(destination, "-T", "--", Host(destination), unpack));
        producer.StandardInput.Close();
        var producerErr = BoundedRead.ReadAsync(producer.StandardError.BaseStream, Limits.MaxErrorBytes, onOverflow: null);
        var consumerErr = BoundedRead.ReadAsync(consumer.StandardError.BaseStream, Limits.MaxErrorBytes, onOverflow: null);
        var consumerOut = BoundedRead.ReadAsync(consumer.StandardOutput.BaseStream, Limits.MaxErrorBytes, onOverflow: null);

        long bytes = 0;
        // The controller's own record of what it relayed; it also refuses links and paths a checkpoint never holds.
        var recorder = new TarStreamRecorder();
        try
        {
            try
            {
                // An IOException is the consumer dying mid-stream; its exit code and stderr below say why.
                bytes = await TreeCopy.RelayAsync(producer.StandardOutput.BaseStream, consumer.StandardInput.BaseStream, recorder,
                    static e => e is IOException, linked.Token).ConfigureAwait(false);
            }
            catch (Exception refused) when (refused is InvalidDataException or UnsafeArchiveException)
            {
                // Never let the target's tar see the rest, nor finish: the half-written copy is discarded there.
                SshProcess.Kill(consumer);
                SshProcess.Kill(producer);
                _logger.LogWarning("Copy from cloud {SourceCloud} to {DestinationCloud} refused: {Reason}", source.CloudId, destination.CloudId, refused.Message);
                throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                    $"Copy of '{sourcePath}' from cloud {source.CloudId} to {destination.CloudId} refused: {refused.Message}", refused);
            }
            finally
            {
                try
                {
                    consumer.StandardInput.Close();
                }
                catch (IOException)
                {
                    // Broken pipe on close: same as above.
                }
            }

            await producer.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            await consumer.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            SshProcess.Kill(producer);
            SshProcess.Kill(consumer);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RemoteShellException(RemoteErrorKind.Timeout,
                $"Copy from cloud {source.CloudId} to {destination.CloudId} did not finish within {_options.TransferTimeoutSeconds} s.");
        }

        var srcErr = (await producerErr.ConfigureAwait(false)).Describe();
        var dstErr = (await consumerErr.ConfigureAwait(false)).Describe();
        await consumerOut.ConfigureAwait(false);
        if (producer.ExitCode != 0)
        {
            throw CopyFailure(source, "reading", sourcePath, producer.ExitCode, srcErr);
        }

        if (consumer.ExitCode != 0)
        {
            throw CopyFailure(destination, "writing", destinationPath, consumer.ExitCode, dstErr);
        }

        if (!recorder.Ended)
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                $"Copy of '{sourcePath}' from cloud {source.CloudId} to {destination.CloudId}: the archive ended early ({bytes} bytes).");
        }

        var elapsed = _time.GetElapsedTime(started);
        _logger.LogInformation("Copied {SourceCloud}:{SourcePath} to {DestinationCloud}:{DestinationPath}: {Bytes} bytes in {Ms} ms",
            source.CloudId, sourcePath, destination.CloudId, destinationPath, bytes, Ms(elapsed));
        return new TransferResult(bytes, elapsed, recorder.Files);
    }

    public async Task<ConnectionCheck> CheckAsync(SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        try
        {
            using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
            await EnsureMasterAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);
            var r = await RunInternalAsync(target, "true", TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken)
                .ConfigureAwait(false);
            if (r.ExitCode != 0)
            {
                throw Failure(target, r.StandardError);
            }

            return new ConnectionCheck(true, r.Elapsed, HostKeyFingerprint(target), null, null);
        }
        catch (RemoteShellException ex)
        {
            _logger.LogWarning("Check of {Cloud} ({Endpoint}) failed: {Kind}", target.CloudId, target.ToString(), ex.Kind);
            return new ConnectionCheck(false, null, HostKeyFingerprint(target), ex.Kind, ex.Message);
        }
    }

    public async Task DisconnectAsync(SshTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        // Under the cloud's master lock, so that a connection being opened right now is closed too, not left behind.
        var masterLock = MasterLock(target.CloudId);
        await masterLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var path = ControlPath(target);
            foreach (var (open, master) in _masters.Where(m => m.Key == path || SshTargetRules.SameEndpoint(m.Value, target)).ToList())
            {
                if (_masters.TryRemove(open, out _))
                {
                    await CloseMasterAsync(master, open, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            masterLock.Release();
        }
    }

    /// <summary>The SHA256 fingerprint this app trusts for the target's host key, or null before the first connection.</summary>
    public string? HostKeyFingerprint(SshTarget target) =>
        KnownHosts.Read(KnownHostsFile, HostKeyAlias(target)).FirstOrDefault()?.Fingerprint;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A master takes a couple of seconds to wind down after "-O exit", so close them side by side.
        var closing = _masters.ToArray()
            .Where(m => _masters.TryRemove(m.Key, out _))
            .Select(m => CloseMasterAsync(m.Value, m.Key, CancellationToken.None));
        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    /// <summary>
    /// One socket per cloud and credentials: a changed password, key or pin gets a master of its own, so no command
    /// ever rides on a connection that logged in with the old ones. The per-process salt keeps secrets out of the
    /// name and never reuses a socket an earlier process left.
    /// </summary>
    internal string ControlPath(SshTarget target) =>
        Path.Combine(ControlDirectory, Hash(
            $"{_pathSalt}\n{target.CloudId}\n{target.Username}\n{target.Host}\n{target.Port}\n{target.Password}\n{target.KeyPath}\n{target.PinnedFingerprint}", 16));

    internal static string HostKeyAlias(SshTarget target) => SshTargetRules.HostKeyAlias(target);

    private async Task EnsureMasterAsync(SshTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var path = ControlPath(target);
        if (_masters.TryGetValue(path, out var open) && open == target && File.Exists(path))
        {
            return;
        }

        var masterLock = MasterLock(target.CloudId);
        await masterLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_masters.TryGetValue(path, out open) && open == target && File.Exists(path))
            {
                return;
            }

            // Masters of this cloud opened with other credentials, key or pin are closed: what they still run was
            // started with the old ones, and the administrator changed them for a reason.
            foreach (var (stalePath, stale) in _masters.Where(m => m.Key != path && SshTargetRules.SameEndpoint(m.Value, target)).ToList())
            {
                if (_masters.TryRemove(stalePath, out _))
                {
                    _logger.LogInformation("Closing the SSH master of {Cloud}: its credentials, key or pinned host key changed", target.CloudId);
                    await CloseMasterAsync(stale, stalePath, cancellationToken).ConfigureAwait(false);
                }
            }

            var started = _time.GetTimestamp();
            if (target.PinnedFingerprint is { Length: > 0 } pin)
            {
                await EnforcePinAsync(target, pin, timeout, cancellationToken).ConfigureAwait(false);
            }

            SshProcessResult r;
            try
            {
                r = await SshProcess.RunAsync(SshStart(target, "-T", "--", Host(target), "true"), timeout, _time, cancellationToken, Limits)
                    .ConfigureAwait(false);
            }
            catch (SshProcessTimeoutException ex)
            {
                throw new RemoteShellException(RemoteErrorKind.Timeout,
                    Redact(target, $"Connecting to cloud {target.CloudId} ({target}) took longer than {timeout.TotalSeconds:0.#} s: {SshErrorClassifier.Summarize(ex.StandardError)}"));
            }
            catch (SshProcessOutputLimitException)
            {
                throw OutputLimit(target, "Logging in (the login shell's start-up files)");
            }

            if (r.ExitCode != 0)
            {
                throw Failure(target, r.StandardError);
            }

            _masters[path] = target;
            _logger.LogInformation("Opened SSH master to {Cloud} ({Endpoint}) in {Ms} ms, host key {Fingerprint}",
                target.CloudId, target.ToString(), Ms(_time.GetElapsedTime(started)), HostKeyFingerprint(target));
        }
        finally
        {
            masterLock.Release();
        }
    }

    /// <summary>
    /// With a pinned fingerprint ssh runs with StrictHostKeyChecking=yes, so known_hosts must hold exactly the pinned
    /// key. When it does not yet, ask the host (ssh-keyscan) and trust its key only if it matches the pin.
    /// </summary>
    private async Task EnforcePinAsync(SshTarget target, string pin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var alias = HostKeyAlias(target);
        var known = KnownHosts.Read(KnownHostsFile, alias);
        if (known.Count > 0 && known.All(e => KnownHosts.SameFingerprint(e.Fingerprint, pin)))
        {
            return;
        }

        var presented = await ScanHostKeysAsync(target, timeout, cancellationToken).ConfigureAwait(false);
        var match = presented.FirstOrDefault(e => KnownHosts.SameFingerprint(e.Fingerprint, pin));
        if (match is null)
        {
            var now = string.Join(", ", presented.Select(e => e.Fingerprint).Distinct());
            _logger.LogError("Host key of {Cloud} ({Endpoint}) changed: pinned {Pinned}, presented {Presented}", target.CloudId, target.ToString(), pin, now);
            throw new RemoteShellException(RemoteErrorKind.HostKeyChanged,
                $"The host key of cloud {target.CloudId} ({target}) changed: pinned {pin}, the host now presents {now}. Refusing to connect.");
        }

        lock (_knownHostsLock)
        {
            KnownHosts.Replace(KnownHostsFile, alias, match with { Host = alias });
        }
    }

    public async Task<IReadOnlyList<string>> ReadHostKeysAsync(SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        var presented = await ScanHostKeysAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        // The strongest key type first, so that "the" key to pin is the one an administrator would check first.
        return presented.OrderBy(e => e.KeyType switch { "ssh-ed25519" => 0, var t when t.StartsWith("ecdsa", StringComparison.Ordinal) => 1, _ => 2 })
            .Select(e => e.Fingerprint).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>ssh-keyscan: the keys the host presents, before any authentication and without trusting them.</summary>
    private async Task<IReadOnlyList<KnownHosts.Entry>> ScanHostKeysAsync(SshTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var scanArgs = new[]
        {
            "-T", _options.ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            "-p", target.Port.ToString(CultureInfo.InvariantCulture),
            "-t", "ed25519,ecdsa,rsa",
            "--",
            target.Host,
        };
        SshProcessResult scan;
        try
        {
            scan = await SshProcess.RunAsync(SshProcess.StartInfo(_options.SshKeyscanPath, scanArgs, null), timeout, _time, cancellationToken,
                    ScanLimits).ConfigureAwait(false);
        }
        catch (SshProcessTimeoutException)
        {
            throw new RemoteShellException(RemoteErrorKind.Timeout, $"Reading the host key of cloud {target.CloudId} ({target}) timed out.");
        }
        catch (SshProcessOutputLimitException)
        {
            throw OutputLimit(target, "Reading the host key");
        }

        var presented = KnownHosts.Parse(scan.StandardOutput.Split('\n'));
        if (presented.Count == 0)
        {
            var kind = SshErrorClassifier.Classify(scan.StandardError) ?? RemoteErrorKind.HostUnreachable;
            throw new RemoteShellException(kind,
                $"Cannot read the host key of cloud {target.CloudId} ({target}): {SshErrorClassifier.Summarize(scan.StandardError)}");
        }

        return presented;
    }

    private async Task<SshProcessResult> RunInternalAsync(SshTarget target, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var r = await SshProcess.RunAsync(SshStart(target, "-T", "--", Host(target), command), timeout, _time, cancellationToken, Limits)
                .ConfigureAwait(false);
            if (r.ExitCode == 255 && SshErrorClassifier.Classify(r.StandardError) is not null)
            {
                throw Failure(target, r.StandardError);
            }

            return r;
        }
        catch (SshProcessTimeoutException)
        {
            throw Timeout(target, timeout);
        }
        catch (SshProcessOutputLimitException)
        {
            throw OutputLimit(target, "The command");
        }
    }

    private async Task ScpAsync(SshTarget target, string from, string to, TimeSpan limit, string operation, CancellationToken cancellationToken)
    {
        var args = new List<string> { "-S", _options.SshPath, "-r", "-p", "-q" };
        args.AddRange(CommonOptions(target));
        args.Add("--");
        args.Add(from);
        args.Add(to);
        SshProcessResult r;
        try
        {
            r = await SshProcess.RunAsync(SshProcess.StartInfo(_options.ScpPath, args, Environment(target)), limit, _time, cancellationToken, Limits)
                .ConfigureAwait(false);
        }
        catch (SshProcessTimeoutException)
        {
            throw new RemoteShellException(RemoteErrorKind.Timeout, $"{operation} with cloud {target.CloudId} did not finish within {limit.TotalSeconds:0} s.");
        }
        catch (SshProcessOutputLimitException)
        {
            throw OutputLimit(target, operation);
        }

        if (r.ExitCode != 0)
        {
            var kind = SshErrorClassifier.Classify(r.StandardError) ?? RemoteErrorKind.TransferFailed;
            throw new RemoteShellException(kind,
                Redact(target, $"{operation} with cloud {target.CloudId} ({target}) failed (scp exit {r.ExitCode}): {SshErrorClassifier.Summarize(r.StandardError)}"));
        }
    }

    private async Task KillRemoteAsync(SshTarget target, string? runId)
    {
        if (runId is null)
        {
            return;
        }

        var kill = RemoteKill.Command(runId);
        try
        {
            var r = await RunInternalAsync(target, kill, TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds * 2), CancellationToken.None)
                .ConfigureAwait(false);
            _logger.LogInformation("Stopped the remote process group of an aborted command on {Cloud} (exit {ExitCode})", target.CloudId, r.ExitCode);
        }
        catch (RemoteShellException ex)
        {
            _logger.LogWarning("Could not stop the remote process of an aborted command on {Cloud}: {Kind}", target.CloudId, ex.Kind);
        }
    }

    private async Task CloseMasterAsync(SshTarget target, string path, CancellationToken cancellationToken)
    {
        var control = new List<string> { "-F", _options.ConfigFile, "-o", "ControlPath=" + EscapePercent(path), "-o", "LogLevel=ERROR" };
        var limit = TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds);
        int? pid = null;
        try
        {
            var check = await SshProcess.RunAsync(SshProcess.StartInfo(_options.SshPath, [.. control, "-O", "check", "--", Host(target)], null), limit, _time, cancellationToken, ScanLimits)
                .ConfigureAwait(false);
            var m = MasterPid().Match(check.StandardError + check.StandardOutput);
            if (m.Success)
            {
                pid = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }

            await SshProcess.RunAsync(SshProcess.StartInfo(_options.SshPath, [.. control, "-O", "exit", "--", Host(target)], null), limit, _time, cancellationToken, ScanLimits)
                .ConfigureAwait(false);
        }
        catch (SshProcessTimeoutException)
        {
            _logger.LogWarning("ssh -O exit for {Cloud} timed out", target.CloudId);
        }
        catch (SshProcessOutputLimitException)
        {
            _logger.LogWarning("ssh -O exit for {Cloud} printed more than {Bytes} bytes and was ended", target.CloudId, ScanLimits.MaxOutputBytes);
        }

        if (pid is { } p)
        {
            await WaitForExitOrKillAsync(p, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogInformation("Closed SSH master to {Cloud} ({Endpoint})", target.CloudId, target.ToString());
    }

    private async Task WaitForExitOrKillAsync(int pid, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (Directory.Exists($"/proc/{pid}"))
        {
            if (_time.GetElapsedTime(started) > TimeSpan.FromSeconds(5))
            {
                try
                {
                    using var stuck = Process.GetProcessById(pid);
                    stuck.Kill();
                    _logger.LogWarning("SSH master pid {Pid} ignored -O exit and was killed", pid);
                }
                catch (ArgumentException)
                {
                    // It exited on its own at the last moment.
                }

                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private ProcessStartInfo SshStart(SshTarget target, params string[] tail) =>
        SshProcess.StartInfo(_options.SshPath, [.. CommonOptions(target), .. tail], Environment(target));

    private List<string> CommonOptions(SshTarget target)
    {
        var hasPassword = !string.IsNullOrEmpty(target.Password);
        var hasKey = !string.IsNullOrEmpty(target.KeyPath);
        var o = new List<string>
        {
            "-F", _options.ConfigFile,
            "-o", "BatchMode=" + (hasPassword ? "no" : "yes"),
            "-o", $"ConnectTimeout={_options.ConnectTimeoutSeconds}",
            "-o", $"ServerAliveInterval={_options.ServerAliveIntervalSeconds}",
            "-o", $"ServerAliveCountMax={_options.ServerAliveCountMax}",
            "-o", "StrictHostKeyChecking=" + (string.IsNullOrEmpty(target.PinnedFingerprint) ? "accept-new" : "yes"),
            "-o", "UserKnownHostsFile=" + EscapePercent(KnownHostsFile),
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "HashKnownHosts=no",
            "-o", "CheckHostIP=no",
            "-o", "UpdateHostKeys=no",
            "-o", "HostKeyAlias=" + HostKeyAlias(target),
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=" + EscapePercent(ControlPath(target)),
            "-o", $"ControlPersist={_options.ControlPersistSeconds}",
            "-o", "LogLevel=ERROR",
            "-o", "IdentityAgent=none",
            "-o", "IdentitiesOnly=yes",
            "-o", "NumberOfPasswordPrompts=1",
            "-o", "Port=" + target.Port.ToString(CultureInfo.InvariantCulture),
            "-o", "User=" + target.Username,
            "-o", "PreferredAuthentications=" + (hasKey, hasPassword) switch
            {
                (true, true) => "publickey,password,keyboard-interactive",
                (false, true) => "password,keyboard-interactive",
                _ => "publickey",
            },
        };
        if (!string.IsNullOrWhiteSpace(_options.Ciphers))
        {
            o.Add("-o");
            o.Add("Ciphers=" + string.Join(',', _options.Ciphers.Split(',', StringSplitOptions.TrimEntries)));
        }

        if (hasKey)
        {
            o.Add("-i");
            o.Add(EscapePercent(KeyFile(target)));
        }

        return o;
    }

    private Dictionary<string, string>? Environment(SshTarget target) =>
        string.IsNullOrEmpty(target.Password)
            ? null
            : new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["SSH_ASKPASS"] = AskPassPath,
                ["SSH_ASKPASS_REQUIRE"] = "force",
                [SecretVariable] = target.Password,
            };

    private static string Host(SshTarget target) => target.Host;

    private static string ScpRemote(SshTarget target, string remotePath)
    {
        var host = target.Host.Contains(':', StringComparison.Ordinal) ? $"[{target.Host}]" : target.Host;
        return $"{host}:{RemoteQuoting.ForScp(remotePath)}";
    }

    private RemoteShellException Failure(SshTarget target, string stderr)
    {
        var kind = SshErrorClassifier.Classify(stderr) ?? RemoteErrorKind.ClientError;
        string message;
        if (kind == RemoteErrorKind.HostKeyChanged)
        {
            var old = target.PinnedFingerprint is { Length: > 0 } pin ? pin : HostKeyFingerprint(target) ?? "none recorded";
            var now = SshErrorClassifier.PresentedFingerprint(stderr) ?? "unknown";
            message = $"The host key of cloud {target.CloudId} ({target}) changed: trusted {old}, the host now presents {now}. Refusing to connect.";
            _logger.LogError("Host key of {Cloud} ({Endpoint}) changed: trusted {Trusted}, presented {Presented}", target.CloudId, target.ToString(), old, now);
        }
        else
        {
            var what = kind switch
            {
                RemoteErrorKind.HostUnreachable => "is unreachable",
                RemoteErrorKind.AuthenticationFailed => "rejected the credentials",
                _ => "could not be used (ssh client error)",
            };
            message = $"Cloud {target.CloudId} ({target}) {what}: {SshErrorClassifier.Summarize(stderr)}";
            _logger.LogWarning("SSH to {Cloud} ({Endpoint}) failed: {Kind}", target.CloudId, target.ToString(), kind);
        }

        return new RemoteShellException(kind, Redact(target, message));
    }

    private RemoteShellException CopyFailure(SshTarget target, string action, string path, int exitCode, string stderr)
    {
        var kind = exitCode == 255 ? SshErrorClassifier.Classify(stderr) ?? RemoteErrorKind.TransferFailed : RemoteErrorKind.TransferFailed;
        return new RemoteShellException(kind,
            Redact(target, $"Copy failed while {action} '{path}' on cloud {target.CloudId} (exit {exitCode}): {SshErrorClassifier.Summarize(stderr)}"));
    }

    private RemoteShellException OutputLimit(SshTarget target, string what)
    {
        _logger.LogWarning("Output from {Cloud} passed the {Bytes}-byte cap and the command was ended", target.CloudId, Limits.MaxOutputBytes);
        return new RemoteShellException(RemoteErrorKind.OutputLimitExceeded,
            $"{what} on cloud {target.CloudId} ({target}) printed more than {Limits.MaxOutputBytes} bytes (Ssh:MaxOutputBytes) and was ended.");
    }

    private SshOutputLimits Limits => new(_options.MaxOutputBytes, _options.MaxErrorBytes);

    /// <summary>ssh-keyscan and master control answer in a few lines.</summary>
    private SshOutputLimits ScanLimits => new(256 * 1024, _options.MaxErrorBytes);

    private RemoteShellException Timeout(SshTarget target, TimeSpan timeout)
    {
        _logger.LogWarning("Command on {Cloud} timed out after {Seconds} s and was stopped", target.CloudId, timeout.TotalSeconds);
        return new RemoteShellException(RemoteErrorKind.Timeout,
            $"The command on cloud {target.CloudId} ({target}) did not finish within {timeout.TotalSeconds:0.###} s and was stopped.");
    }

    private static string Redact(SshTarget target, string text) => SshTargetRules.Redact(target, text);

    private void Validate(SshTarget target) => SshTargetRules.Validate(target, _options, _logger);

    internal string KeyFile(SshTarget target) => SshTargetRules.KeyFile(target, _options, _logger);

    private Task<IDisposable> AcquireAsync(SshTarget[] targets, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _limiter.AcquireAsync(targets.Select(t => t.CloudId), cancellationToken);
    }

    private SemaphoreSlim MasterLock(string cloudId) => _masterLocks.GetOrAdd(cloudId, _ => new SemaphoreSlim(1, 1));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    private static string EscapePercent(string path) => path.Replace("%", "%%", StringComparison.Ordinal);

    private static string Hash(string text, int hexChars) => SshTargetRules.Hash(text, hexChars);

    private static string ChooseControlDirectory(string dataDirectory)
    {
        var preferred = Path.Combine(dataDirectory, "cm");
        if (preferred.Length <= MaxControlDirLength)
        {
            return preferred;
        }

        // Deep data folders (tests, installs under long paths) get a short private folder in /tmp instead.
        return $"/tmp/gcssh-{Hash(System.Environment.UserName + "\n" + dataDirectory, 12)}";
    }

    private static void CreatePrivateDirectory(string path) => OwnerOnlyFolder.Create(path);

    private static void WriteAskPass(string path)
    {
        // The helper holds no secret: it echoes the variable that only the one ssh child it serves receives.
        var script = $"#!/bin/sh\n# Written by GreenConsole for ssh's SSH_ASKPASS; prints this child's secret from its environment.\nprintf '%s\\n' \"${SecretVariable}\"\n";
        if (!File.Exists(path) || File.ReadAllText(path) != script)
        {
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, script);
            RestrictToOwner(tmp, OwnerOnly);
            File.Move(tmp, path, overwrite: true);
        }

        RestrictToOwner(path, OwnerOnly);
    }

    internal static void RestrictToOwner(string path, UnixFileMode mode) => OwnerOnlyFolder.Restrict(path, mode);

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex MasterPid();
}
