using System.Collections.Concurrent;
using System.Diagnostics;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Probes;

/// <summary>
/// Samples a cloud through a long-lived probe loop per cloud (<see cref="ProbeSessionProtocol"/>), or with one
/// batched remote command per poll when sessions are off or cannot start there. Keeps the previous /proc/stat
/// counters per cloud, since utilisation is a delta. An unreachable host throws (<see cref="RemoteShellException"/>);
/// anything the host cannot report comes back as a missing field.
/// </summary>
internal sealed class SshHardwareProbe : IHardwareProbe, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetireGateWait = TimeSpan.FromSeconds(5);

    private readonly IRemoteShell _shell;
    private readonly TimeProvider _time;
    private readonly ProbeOptions _options;
    private readonly ILogger<SshHardwareProbe> _logger;
    private readonly ConcurrentDictionary<string, CpuTimes> _previous = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SessionSlot> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _retiring = new();
    private long _lastSweep;
    private int _disposed;

    public SshHardwareProbe(IRemoteShell shell, TimeProvider time, IOptions<ProbeOptions> options, ILogger<SshHardwareProbe> logger)
    {
        _shell = shell;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _lastSweep = time.GetTimestamp();
    }

    public async Task<HardwareSample> SampleAsync(SshTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _time.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(_options.CommandTimeoutSeconds);
        var output = _options.PersistentSessions ? await SessionSampleAsync(target, timeout, cancellationToken).ConfigureAwait(false) : null;
        if (output is null)
        {
            var remaining = timeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw Timeout(target);
            }

            var result = await _shell.RunAsync(target, ProbeCommand.Script, remaining, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                _logger.LogWarning("Probe of {Cloud} exited {ExitCode}: {Stderr}", target.CloudId, result.ExitCode, Truncate(result.StandardError));
            }

            output = result.StandardOutput;
        }

        var at = _time.GetUtcNow();
        var previous = _previous.TryGetValue(target.CloudId, out var p) ? p : (CpuTimes?)null;
        var sample = ProbeOutputParser.Parse(target.CloudId, at, output, previous);
        // A reading within the same clock tick keeps the earlier baseline, so the next delta spans a real interval.
        if (sample.CpuTimes.HasValue && (previous is null || sample.CpuTimes.Value.Total != previous.Value.Total))
        {
            _previous[target.CloudId] = sample.CpuTimes.Value;
        }

        _logger.LogDebug("Probed {Cloud} in {Ms} ms", target.CloudId, (long)_time.GetElapsedTime(started).TotalMilliseconds);
        SweepIdleSessions();
        return sample;
    }

    /// <summary>Forgets a cloud's previous counters and closes its probe session (for example after it was removed).</summary>
    public void Forget(string cloudId) => _ = ForgetAsync(cloudId);

    /// <summary>As <see cref="Forget"/>, finishing when the cloud's session (and its ssh client) is gone.</summary>
    public Task ForgetAsync(string cloudId)
    {
        _previous.TryRemove(cloudId, out _);
        return _slots.TryGetValue(cloudId, out var slot) ? Retire(cloudId, slot) : Task.CompletedTask;
    }

    /// <summary>The local ssh client pid of a cloud's open session, or null (tests prove replacement and clean-up with it).</summary>
    internal int? SessionProcessId(string cloudId) =>
        _slots.TryGetValue(cloudId, out var slot) && slot.Session is { } s && !s.HasExited ? s.ProcessId : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var (cloudId, slot) in _slots.ToArray())
        {
            _ = Retire(cloudId, slot);
        }

        await Task.WhenAll(_retiring.Keys.ToArray()).ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The answer of the cloud's session, or null when this poll should use the one-shot script.</summary>
    private async Task<string?> SessionSampleAsync(SshTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        var token = linked.Token;
        SessionSlot slot;
        try
        {
            slot = await EnterAsync(target.CloudId, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Timeout(target);
        }

        var fresh = false;
        try
        {
            slot.LastUsed = _time.GetTimestamp();
            if (slot.OneShotPolls > 0)
            {
                slot.OneShotPolls--;
                return null;
            }

            if (slot.Session is { } old && (old.HasExited || old.Target != target))
            {
                // A session that died while idle (master closed, host restarted) or whose target changed is replaced
                // quietly, as the one-shot path would simply have connected again.
                slot.Session = null;
                await old.DisposeAsync().ConfigureAwait(false);
            }

            if (slot.Session is null)
            {
                var remote = await _shell.OpenSessionAsync(target, ProbeSessionProtocol.Script, token).ConfigureAwait(false);
                slot.Session = new ProbeSession(remote, target);
                fresh = true;
            }

            return await slot.Session.SampleAsync(_options.StaticRefreshPolls, token).ConfigureAwait(false);
        }
        catch (RemoteShellException ex) when (ex.Kind == RemoteErrorKind.ClientError && slot.Session is not null)
        {
            // The loop ended without an ssh diagnostic (remote shell not POSIX, master closed mid-answer): this poll
            // goes the one-shot way, whose errors are classified as they always were; the next one opens a new session.
            await DropSessionAsync(target, slot, fresh, ex.Message).ConfigureAwait(false);
            return null;
        }
        catch (ProbeSessionProtocolException ex)
        {
            await DropSessionAsync(target, slot, fresh, ex.Message).ConfigureAwait(false);
            return null;
        }
        catch (RemoteShellException) when (slot.Session is not null)
        {
            await DropSessionAsync(target, slot, fresh: false, reason: null).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A slow first answer (a busy host, many masters opening at once) is no reason to give up on sessions there.
            await DropSessionAsync(target, slot, fresh: false, "no answer in time").ConfigureAwait(false);
            throw Timeout(target);
        }
        catch (OperationCanceledException)
        {
            // Cancelled mid-answer: the rest of that answer would still arrive, so the session cannot be reused.
            await DropSessionAsync(target, slot, fresh: false, reason: null).ConfigureAwait(false);
            throw;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Takes the cloud's gate (one request per session at a time), skipping slots retired meanwhile.</summary>
    private async Task<SessionSlot> EnterAsync(string cloudId, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var slot = _slots.GetOrAdd(cloudId, _ => new SessionSlot());
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!slot.Retired)
            {
                return slot;
            }

            slot.Gate.Release();
        }
    }

    private async Task DropSessionAsync(SshTarget target, SessionSlot slot, bool fresh, string? reason)
    {
        var session = slot.Session;
        slot.Session = null;
        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        if (fresh && reason is not null)
        {
            slot.OneShotPolls = _options.SessionRetryAfterPolls;
            _logger.LogWarning("Probe session on {Cloud} could not start ({Reason}); the next {Polls} polls use the one-shot command",
                target.CloudId, reason, _options.SessionRetryAfterPolls);
        }
        else if (reason is not null)
        {
            _logger.LogInformation("Probe session on {Cloud} ended ({Reason}); the next poll opens a new one", target.CloudId, reason);
        }
    }

    private Task Retire(string cloudId, SessionSlot slot)
    {
        if (!_slots.TryRemove(new KeyValuePair<string, SessionSlot>(cloudId, slot)))
        {
            return Task.CompletedTask;
        }

        var task = RetireAsync(cloudId, slot);
        _retiring[task] = 0;
        _ = task.ContinueWith(t => _retiring.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task RetireAsync(string cloudId, SessionSlot slot)
    {
        // A poll in flight finishes first (bounded): closing under it would turn its answer into an error.
        var entered = await slot.Gate.WaitAsync(RetireGateWait).ConfigureAwait(false);
        try
        {
            slot.Retired = true;
            if (slot.Session is { } session)
            {
                slot.Session = null;
                await session.DisposeAsync().ConfigureAwait(false);
                _logger.LogDebug("Closed the probe session of {Cloud}", cloudId);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            _logger.LogWarning("Closing the probe session of {Cloud} failed: {Error}", cloudId, ex.Message);
        }
        finally
        {
            if (entered)
            {
                slot.Gate.Release();
            }
        }
    }

    /// <summary>Closes sessions of clouds no longer polled; runs at most every <see cref="SweepEvery"/>, off the caller's path.</summary>
    private void SweepIdleSessions()
    {
        var last = Interlocked.Read(ref _lastSweep);
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(last, now) < SweepEvery || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        var idle = TimeSpan.FromSeconds(_options.SessionIdleSeconds);
        foreach (var (cloudId, slot) in _slots.ToArray())
        {
            if (_time.GetElapsedTime(slot.LastUsed, now) > idle && slot.Gate.CurrentCount > 0)
            {
                _logger.LogInformation("Closing the probe session of {Cloud}: unused for {Seconds} s", cloudId, _options.SessionIdleSeconds);
                _ = Retire(cloudId, slot);
            }
        }
    }

    private RemoteShellException Timeout(SshTarget target)
    {
        _logger.LogWarning("Probe of {Cloud} timed out after {Seconds} s and was stopped", target.CloudId, _options.CommandTimeoutSeconds);
        return new RemoteShellException(RemoteErrorKind.Timeout,
            $"The probe of cloud {target.CloudId} ({target}) did not answer within {_options.CommandTimeoutSeconds} s and was stopped.");
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300];

    private sealed class SessionSlot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ProbeSession? Session { get; set; }

        public bool Retired { get; set; }

        public int OneShotPolls { get; set; }

        public long LastUsed { get; set; }
    }
}
