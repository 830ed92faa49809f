using System.Collections.Concurrent;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Renci.SshNet;

namespace GreenConsole.Agents.Ssh.SshNet;

/// <summary>
/// One SSH.NET connection per cloud, opened on first use and reused by every command, copy, probe and terminal.
/// A connection logged in with other credentials, key or pin than the caller's is closed first; a dropped one is
/// reopened, with a growing wait after failures so that a dead cloud costs one connect per wait, not one per call.
/// </summary>
internal sealed class SshNetConnections : IAsyncDisposable
{
    /// <summary>SSH.NET's cert algorithms would present a certificate, not the key that known_hosts and pins name.</summary>
    private const string CertificateSuffix = "-cert-v01@openssh.com";

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly SshOptions _options;
    private readonly SshNetHostKeyTrust _trust;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _disposed;

    public SshNetConnections(SshOptions options, SshNetHostKeyTrust trust, ILogger logger, TimeProvider time)
    {
        _options = options;
        _trust = trust;
        _logger = logger;
        _time = time;
    }

    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds);

    /// <summary>The connected client for <paramref name="target"/>. Throws a classified <see cref="RemoteShellException"/>.</summary>
    public async Task<SshClient> GetAsync(SshTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var slot = _slots.GetOrAdd(target.CloudId, _ => new Slot());
        if (slot.Target == target && slot.Client is { IsConnected: true } ready)
        {
            return ready;
        }

        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (slot.Target == target && slot.Client is { IsConnected: true } client)
            {
                return client;
            }

            if (slot.Client is not null)
            {
                if (slot.Target != target)
                {
                    _logger.LogInformation("Closing the SSH connection of {Cloud}: its credentials, key or pinned host key changed", target.CloudId);
                }
                else
                {
                    _logger.LogInformation("The SSH connection of {Cloud} dropped; reconnecting", target.CloudId);
                }

                Close(slot);
            }

            if (slot.Target != target)
            {
                slot.Target = target;
                slot.Failures = 0;
                slot.LastError = null;
            }

            var now = _time.GetUtcNow();
            if (slot.LastError is { } last && slot.RetryAt > now)
            {
                throw new RemoteShellException(last.Kind,
                    $"{last.Message} (next connection attempt in {(slot.RetryAt - now).TotalSeconds:0.#} s)", last);
            }

            client = await ConnectAsync(target, timeout, slot, cancellationToken).ConfigureAwait(false);
            slot.Client = client;
            slot.Failures = 0;
            slot.LastError = null;
            return client;
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    /// <summary>Marks a connection that failed under a command as gone, so the next call reconnects.</summary>
    public void Invalidate(SshTarget target, SshClient client)
    {
        if (_slots.TryGetValue(target.CloudId, out var slot) && ReferenceEquals(slot.Client, client) && !client.IsConnected)
        {
            slot.Client = null;
            DisposeQuietly(client);
        }
    }

    /// <summary>Closes the cloud's connection (every channel on it ends). Under its lock, so a connect in flight is closed too.</summary>
    public async Task DisconnectAsync(SshTarget target, CancellationToken cancellationToken)
    {
        if (!_slots.TryGetValue(target.CloudId, out var slot))
        {
            return;
        }

        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (slot.Client is not null && (slot.Target is null || SshTargetRules.SameEndpoint(slot.Target, target)))
            {
                Close(slot);
                _logger.LogInformation("Closed the SSH connection to {Cloud} ({Endpoint})", target.CloudId, target.ToString());
            }

            slot.Target = null;
            slot.LastError = null;
            slot.Failures = 0;
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    /// <summary>How many connections are open now (tests and the status page).</summary>
    public int OpenCount => _slots.Values.Count(s => s.Client is { IsConnected: true });

    /// <summary>
    /// Connects without logging in and reports the host key the cloud presents for each key type it offers. Nothing
    /// is trusted: the key exchange is ended right after the key arrives.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReadHostKeysAsync(SshTarget target, CancellationToken cancellationToken)
    {
        string[][] families =
        [
            ["ssh-ed25519"],
            ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"],
            ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
        ];
        var found = new List<string>();
        Exception? lastFailure = null;
        foreach (var family in families)
        {
            var info = new ConnectionInfo(target.Host, target.Port, target.Username, new NoneAuthenticationMethod(target.Username)) { Timeout = ConnectTimeout };
            Keep(info.HostKeyAlgorithms, family);
            if (info.HostKeyAlgorithms.Count == 0)
            {
                continue;
            }

            string? presented = null;
            using var client = new SshClient(info);
            client.HostKeyReceived += (_, e) =>
            {
                presented = KnownHosts.FingerprintOf(Convert.ToBase64String(e.HostKey));
                e.CanTrust = false;
            };
            try
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Refusing the key ends every attempt here; a family the host does not offer fails key exchange.
                lastFailure = e;
            }

            if (presented is not null)
            {
                found.Add(presented);
            }
            else if (lastFailure is System.Net.Sockets.SocketException or Renci.SshNet.Common.SshOperationTimeoutException)
            {
                break;
            }
        }

        if (found.Count == 0)
        {
            var mapped = SshNetErrors.Map(target, lastFailure ?? new IOException("no host key was presented"), null, ConnectTimeout, _logger);
            throw new RemoteShellException(mapped.Kind, $"Cannot read the host key of cloud {target.CloudId} ({target}): {mapped.Message}", lastFailure);
        }

        return found.Distinct(StringComparer.Ordinal).ToList();
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (var slot in _slots.Values)
            {
                Close(slot);
            }
        }

        return ValueTask.CompletedTask;
    }

    private async Task<SshClient> ConnectAsync(SshTarget target, TimeSpan timeout, Slot slot, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        HostKeyVerdict? verdict = null;
        var client = new SshClient(ConnectionInfoFor(target));
        client.KeepAliveInterval = TimeSpan.FromSeconds(_options.ServerAliveIntervalSeconds);
        client.HostKeyReceived += (_, e) =>
        {
            verdict = _trust.Decide(target, e.HostKeyName, e.HostKey);
            e.CanTrust = verdict.Trusted;
        };
        using var limit = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            await client.ConnectAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            DisposeQuietly(client);
            throw;
        }
        catch (Exception e)
        {
            DisposeQuietly(client);
            var failure = e is OperationCanceledException
                ? new RemoteShellException(RemoteErrorKind.Timeout,
                    $"Connecting to cloud {target.CloudId} ({target}) took longer than {timeout.TotalSeconds:0.#} s.", e)
                : SshNetErrors.Map(target, e, verdict, ConnectTimeout, _logger);
            if (failure.Kind is RemoteErrorKind.HostUnreachable or RemoteErrorKind.Timeout && _options.ReconnectBackoffMaxSeconds > 0)
            {
                slot.Failures++;
                var wait = Math.Min(0.5 * Math.Pow(2, slot.Failures - 1), _options.ReconnectBackoffMaxSeconds);
                slot.RetryAt = _time.GetUtcNow() + TimeSpan.FromSeconds(wait);
                slot.LastError = failure;
            }

            throw failure;
        }

        _logger.LogInformation("Opened SSH connection to {Cloud} ({Endpoint}) in {Ms} ms, host key {Fingerprint}, cipher {Cipher}",
            target.CloudId, target.ToString(), (long)_time.GetElapsedTime(started).TotalMilliseconds, verdict?.Fingerprint,
            client.ConnectionInfo.CurrentClientEncryption);
        return client;
    }

    private ConnectionInfo ConnectionInfoFor(SshTarget target)
    {
        var methods = new List<AuthenticationMethod>();
        if (!string.IsNullOrEmpty(target.KeyPath))
        {
            var file = SshTargetRules.KeyFile(target, _options, _logger);
            try
            {
                methods.Add(new PrivateKeyAuthenticationMethod(target.Username, new PrivateKeyFile(file)));
            }
            catch (Exception e) when (e is Renci.SshNet.Common.SshException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Cloud {Cloud}: key file {KeyFile} cannot be read: {Reason}", target.CloudId, file, e.Message);
                throw new RemoteShellException(RemoteErrorKind.ClientError,
                    $"Cloud {target.CloudId}: its key file cannot be read as an unencrypted OpenSSH, PEM or PuTTY private key; see the server log.", e);
            }
        }

        if (!string.IsNullOrEmpty(target.Password))
        {
            var password = target.Password;
            methods.Add(new PasswordAuthenticationMethod(target.Username, password));
            var interactive = new KeyboardInteractiveAuthenticationMethod(target.Username);
            interactive.AuthenticationPrompt += (_, e) =>
            {
                foreach (var prompt in e.Prompts)
                {
                    prompt.Response = password;
                }
            };
            methods.Add(interactive);
        }

        if (methods.Count == 0)
        {
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"Cloud {target.CloudId} has neither a password nor a key path.");
        }

        var info = new ConnectionInfo(target.Host, target.Port, target.Username, [.. methods])
        {
            // SSH.NET waits this long for every answer of key exchange and login, not only for TCP: under a connection
            // storm (200 clouds at start) sshd's PAM and key exchange take longer than Ssh:ConnectTimeoutSeconds, as
            // OpenSSH's masters were allowed. The caller's own deadline still cancels the connect.
            Timeout = TimeSpan.FromSeconds(Math.Max(_options.ConnectTimeoutSeconds, _options.MasterSetupTimeoutSeconds)),
            RetryAttempts = 1,
            // sshd's default MaxSessions; SSH.NET waits for a free channel past it instead of being refused.
            MaxSessions = 10,
        };
        Order(info.Encryptions, _options.Ciphers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        var trusted = _trust.TrustedKeyTypes(target);
        var hostKeyOrder = trusted.SelectMany(AlgorithmsFor).ToList();
        Keep(info.HostKeyAlgorithms, [.. info.HostKeyAlgorithms.Keys.Where(k => !k.EndsWith(CertificateSuffix, StringComparison.Ordinal))]);
        Order(info.HostKeyAlgorithms, hostKeyOrder);
        return info;
    }

    private static IEnumerable<string> AlgorithmsFor(string keyType) =>
        keyType == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];

    /// <summary>Puts <paramref name="first"/> ahead (in that order), the rest after as they were. Key exchange takes the client's first match.</summary>
    private static void Order<T>(IDictionary<string, T> algorithms, IReadOnlyCollection<string> first)
    {
        if (first.Count == 0)
        {
            return;
        }

        var all = algorithms.ToList();
        algorithms.Clear();
        foreach (var name in first)
        {
            var match = all.FindIndex(a => a.Key == name);
            if (match >= 0 && !algorithms.ContainsKey(name))
            {
                algorithms.Add(all[match].Key, all[match].Value);
            }
        }

        foreach (var (name, value) in all)
        {
            algorithms.TryAdd(name, value);
        }
    }

    private static void Keep<T>(IDictionary<string, T> algorithms, IReadOnlyCollection<string> names)
    {
        var all = algorithms.ToList();
        algorithms.Clear();
        foreach (var (name, value) in all.Where(a => names.Contains(a.Key)))
        {
            algorithms.Add(name, value);
        }
    }

    private static void Close(Slot slot)
    {
        if (slot.Client is { } client)
        {
            slot.Client = null;
            DisposeQuietly(client);
        }
    }

    private static void DisposeQuietly(SshClient client)
    {
        try
        {
            client.Dispose();
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            // A connection that broke on its own can fail again while it is closed.
        }
    }

    private sealed class Slot
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public SshTarget? Target { get; set; }

        public SshClient? Client { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset RetryAt { get; set; }

        public RemoteShellException? LastError { get; set; }
    }
}
