using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Renci.SshNet;

namespace GreenConsole.Agents.Ssh.SshNet;

/// <summary>
/// <see cref="IRemoteShell"/> over SSH.NET: one connection per cloud (<see cref="SshNetConnections"/>), one exec channel
/// per command, no child processes, and secrets only in this process's memory.
/// </summary>
internal sealed partial class SshNetRemoteShell : IRemoteShell, IAsyncDisposable
{
    private readonly SshOptions _options;
    private readonly ILogger<SshNetRemoteShell> _logger;
    private readonly TimeProvider _time;
    private readonly SshSessionLimiter _limiter;
    private readonly SshNetHostKeyTrust _trust;
    private int _disposed;

    public SshNetRemoteShell(IOptions<SshOptions> options, ILogger<SshNetRemoteShell> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        _limiter = new SshSessionLimiter(_options.MaxParallelSessions, _options.MaxSessionsPerCloud);
        DataDirectory = Path.GetFullPath(_options.DataDirectory);
        OwnerOnlyFolder.Create(DataDirectory);
        _trust = new SshNetHostKeyTrust(Path.Combine(DataDirectory, "known_hosts"), logger);
        Connections = new SshNetConnections(_options, _trust, logger, time);
    }

    public string DataDirectory { get; }

    public string KnownHostsFile => _trust.KnownHostsFile;

    internal SshNetConnections Connections { get; }

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
        var client = await Connections.GetAsync(target, Min(timeout, SetupTimeout), cancellationToken).ConfigureAwait(false);
        var remaining = timeout - _time.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero)
        {
            throw Timeout(target, timeout);
        }

        var runId = _options.KillRemoteOnAbort ? Guid.NewGuid().ToString("N")[..16] : null;
        var r = await ExecAsync(target, client, runId is null ? command : RemoteKill.Wrap(command, runId), remaining, runId, _options.MaxOutputBytes, cancellationToken)
            .ConfigureAwait(false);
        switch (r.End)
        {
            case ExecEnd.TimedOut:
                throw Timeout(target, timeout);
            case ExecEnd.OutputLimit:
                throw OutputLimit(target, "The command");
            case ExecEnd.Cancelled:
                _logger.LogInformation("Command on {Cloud} cancelled after {Ms} ms", target.CloudId, Ms(_time.GetElapsedTime(started)));
                cancellationToken.ThrowIfCancellationRequested();
                break;
        }

        var elapsed = _time.GetElapsedTime(started);
        _logger.LogDebug("Command on {Cloud} exited {ExitCode} in {Ms} ms", target.CloudId, r.ExitCode, Ms(elapsed));
        return new RemoteCommandResult(r.ExitCode, r.StandardOutput, r.StandardError, elapsed);
    }

    public async Task<ConnectionCheck> CheckAsync(SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        try
        {
            using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
            var client = await Connections.GetAsync(target, SetupTimeout, cancellationToken).ConfigureAwait(false);
            var r = await ExecAsync(target, client, "true", SetupTimeout, null, 64 * 1024, cancellationToken).ConfigureAwait(false);
            if (r.End == ExecEnd.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (r.End != ExecEnd.Exited)
            {
                throw Timeout(target, SetupTimeout);
            }

            return new ConnectionCheck(true, r.Elapsed, _trust.Trusted(target), null, null);
        }
        catch (RemoteShellException ex)
        {
            _logger.LogWarning("Check of {Cloud} ({Endpoint}) failed: {Kind}", target.CloudId, target.ToString(), ex.Kind);
            return new ConnectionCheck(false, null, _trust.Trusted(target), ex.Kind, ex.Message);
        }
    }

    public async Task<IReadOnlyList<string>> ReadHostKeysAsync(SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        return await Connections.ReadHostKeysAsync(target, cancellationToken).ConfigureAwait(false);
    }

    public Task DisconnectAsync(SshTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Connections.DisconnectAsync(target, cancellationToken);
    }

    /// <summary>The SHA256 fingerprint this app trusts for the target's host key, or null before the first connection.</summary>
    public string? HostKeyFingerprint(SshTarget target) => _trust.Trusted(target);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Connections.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs one exec channel to its end: stdin empty, stdout kept up to <paramref name="maxOutput"/>, stderr
    /// up to Ssh:MaxErrorBytes. On a timeout, a cancellation or too much output the channel is closed and (with a run
    /// id) the remote process group is killed, so nothing keeps running or keeps sending.
    /// </summary>
    private async Task<ExecResult> ExecAsync(SshTarget target, SshClient client, string command, TimeSpan timeout, string? runId, int maxOutput,
        CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var overflow = new CancellationTokenSource();
        using var limit = new CancellationTokenSource(timeout, _time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token, overflow.Token);
        SshCommand cmd;
        Task exec;
        try
        {
            // SSH.NET sends end-of-input only after data was written, so the command's stdin is /dev/null instead.
            cmd = client.CreateCommand("exec </dev/null; " + command);
            exec = cmd.ExecuteAsync(CancellationToken.None);
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            Connections.Invalidate(target, client);
            throw SshNetErrors.Map(target, e, null, Connections.ConnectTimeout, _logger);
        }

        using (cmd)
        {
            // Disposed with the command: a reader that stopped at the cap must still release its pump thread.
            using var outStream = Out(cmd, target);
            using var errStream = Err(cmd, target);
            var stdout = BoundedRead.ReadAsync(outStream, maxOutput, onOverflow: overflow.Cancel);
            var stderr = BoundedRead.ReadAsync(errStream, _options.MaxErrorBytes, onOverflow: null);
            ExecEnd end;
            try
            {
                await exec.WaitAsync(stop.Token).ConfigureAwait(false);
                end = ExecEnd.Exited;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                end = overflow.IsCancellationRequested ? ExecEnd.OutputLimit : cancellationToken.IsCancellationRequested ? ExecEnd.Cancelled : ExecEnd.TimedOut;
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                Connections.Invalidate(target, client);
                throw SshNetErrors.Map(target, e, null, Connections.ConnectTimeout, _logger);
            }

            if (end != ExecEnd.Exited)
            {
                // Closing the channel stops what it still sends; the kill stops what still runs.
                await StopAsync(target, client, cmd, exec, runId).ConfigureAwait(false);
                return new ExecResult(end, -1, "", "", _time.GetElapsedTime(started));
            }

            var output = await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (overflow.IsCancellationRequested)
            {
                return new ExecResult(ExecEnd.OutputLimit, -1, "", "", _time.GetElapsedTime(started));
            }

            // A command ended by a signal has no exit status; OpenSSH's client reports 255 for it too.
            return new ExecResult(ExecEnd.Exited, cmd.ExitStatus ?? 255, output.Text, error.Describe(), _time.GetElapsedTime(started));
        }
    }

    private async Task StopAsync(SshTarget target, SshClient client, SshCommand cmd, Task exec, string? runId)
    {
        _ = exec.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            // It waits up to the timeout for the server to confirm the signal, so it runs off this thread.
            await Task.Run(() => cmd.CancelAsync(forceKill: true, millisecondsTimeout: 500), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            // The channel is gone already.
        }

        if (runId is null || !client.IsConnected)
        {
            return;
        }

        try
        {
            using var kill = client.CreateCommand(RemoteKill.Command(runId));
            await kill.ExecuteAsync(CancellationToken.None).WaitAsync(Connections.ConnectTimeout * 2).ConfigureAwait(false);
            _logger.LogInformation("Stopped the remote process group of an aborted command on {Cloud} (exit {ExitCode})", target.CloudId, kill.ExitStatus);
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e) || e is TimeoutException)
        {
            _logger.LogWarning("Could not stop the remote process of an aborted command on {Cloud}: {Reason}", target.CloudId, e.GetType().Name);
        }
    }

    /// <summary>The connected client for a terminal: checked, trusted and logged in like every command.</summary>
    internal async Task<SshClient> ConnectedAsync(SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        return await Connections.GetAsync(target, SetupTimeout, cancellationToken).ConfigureAwait(false);
    }

    private static Stream Out(SshCommand cmd, SshTarget target) => ChannelOutput.Pump(cmd.OutputStream, target.CloudId);

    private static Stream Err(SshCommand cmd, SshTarget target) => ChannelOutput.Pump(cmd.ExtendedOutputStream, target.CloudId);

    private TimeSpan SetupTimeout => TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds);

    private void Validate(SshTarget target) => SshTargetRules.Validate(target, _options, _logger);

    private Task<IDisposable> AcquireAsync(SshTarget[] targets, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _limiter.AcquireAsync(targets.Select(t => t.CloudId), cancellationToken);
    }

    private RemoteShellException Timeout(SshTarget target, TimeSpan timeout)
    {
        _logger.LogWarning("Command on {Cloud} timed out after {Seconds} s and was stopped", target.CloudId, timeout.TotalSeconds);
        return new RemoteShellException(RemoteErrorKind.Timeout,
            $"The command on cloud {target.CloudId} ({target}) did not finish within {timeout.TotalSeconds:0.###} s and was stopped.");
    }

    private RemoteShellException OutputLimit(SshTarget target, string what)
    {
        _logger.LogWarning("Output from {Cloud} passed the {Bytes}-byte cap and the command was ended", target.CloudId, _options.MaxOutputBytes);
        return new RemoteShellException(RemoteErrorKind.OutputLimitExceeded,
            $"{what} on cloud {target.CloudId} ({target}) printed more than {_options.MaxOutputBytes} bytes (Ssh:MaxOutputBytes) and was ended.");
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    private enum ExecEnd
    {
        Exited,
        TimedOut,
        Cancelled,
        OutputLimit,
    }

    private sealed record ExecResult(ExecEnd End, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed);
}
