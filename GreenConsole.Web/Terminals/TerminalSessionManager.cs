using System.Collections.Concurrent;
using System.Threading.Channels;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Terminals;

/// <summary>
/// Owns every open browser terminal: starts ssh on a PTY, pumps its output into a bounded channel for the one page
/// that shows it, closes idle sessions, and writes the audit log. Closing a session always reaps the ssh process.
/// </summary>
public sealed class TerminalSessionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TerminalSession> _sessions = new();
    private readonly List<string> _reservations = [];
    private readonly ConcurrentDictionary<string, bool> _closedUsers = new(StringComparer.Ordinal);
    private readonly CloudRepository _clouds;
    private readonly IRemoteTerminalLauncher _launcher;
    private readonly IDbContextFactory<GreenConsoleDbContext> _db;
    private readonly TerminalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TerminalSessionManager> _logger;
    private readonly ITimer _idleTimer;
    private volatile bool _stopping;

    public TerminalSessionManager(CloudRepository clouds, IRemoteTerminalLauncher launcher, IDbContextFactory<GreenConsoleDbContext> db,
        IOptions<TerminalOptions> options, TimeProvider time, ILogger<TerminalSessionManager> logger)
    {
        _clouds = clouds;
        _launcher = launcher;
        _db = db;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var period = TimeSpan.FromSeconds(Math.Min(30, _options.IdleTimeoutMinutes * 60 / 4.0));
        _idleTimer = time.CreateTimer(_ => _ = CloseIdleAsync(), null, period, period);
    }

    public IReadOnlyCollection<TerminalSession> Sessions => [.. _sessions.Values];

    public TimeSpan IdleTimeout => TimeSpan.FromMinutes(_options.IdleTimeoutMinutes);

    public async Task<TerminalSession> OpenAsync(int cloudId, string userName, int rows, int cols, CancellationToken cancellationToken)
    {
        if (_closedUsers.ContainsKey(userName))
        {
            throw new InvalidOperationException($"User {userName} no longer exists.");
        }

        // Slots are reserved before the (slow) launch, so that concurrent opens cannot all pass the check.
        lock (_reservations)
        {
            if (_sessions.Count + _reservations.Count >= _options.MaxSessions)
            {
                throw new InvalidOperationException($"Too many open terminals ({_options.MaxSessions}); close one first (setting Terminals:MaxSessions).");
            }

            var mine = _sessions.Values.Count(s => s.UserName == userName) + _reservations.Count(u => u == userName);
            if (mine >= _options.MaxSessionsPerUser)
            {
                throw new InvalidOperationException(
                    $"You have {mine} terminals open, the most one user may have ({_options.MaxSessionsPerUser}); close one first (setting Terminals:MaxSessionsPerUser).");
            }

            _reservations.Add(userName);
        }

        Launched? launched = null;
        try
        {
            launched = await LaunchAsync(cloudId, userName, rows, cols, cancellationToken);
        }
        finally
        {
            lock (_reservations)
            {
                _reservations.Remove(userName);
                if (launched is not null)
                {
                    _sessions[launched.Session.Id] = launched.Session;
                }
            }
        }

        var (cloud, session) = (launched.Cloud, launched.Session);
        if (_closedUsers.ContainsKey(userName))
        {
            // The user was deleted while this terminal was being opened.
            await CloseAsync(session.Id, "user no longer exists");
            throw new InvalidOperationException($"User {userName} no longer exists.");
        }

        session.PumpTask = PumpAsync(session);

        await using (var db = await _db.CreateDbContextAsync(cancellationToken))
        {
            db.TerminalAudit.Add(new TerminalAuditEntity
            {
                SessionId = session.Id,
                UserName = userName,
                CloudId = cloudId,
                CloudName = cloud.DisplayName,
                OpenedAt = session.OpenedAt,
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        _logger.LogInformation("User {User} opened terminal {Session} on cloud {CloudId} ({Cloud})", userName, session.Id, cloudId, cloud.DisplayName);
        return session;
    }

    private sealed record Launched(CloudSummary Cloud, TerminalSession Session);

    private async Task<Launched> LaunchAsync(int cloudId, string userName, int rows, int cols, CancellationToken cancellationToken)
    {
        var cloud = await _clouds.FindAsync(cloudId, cancellationToken)
            ?? throw new InvalidOperationException($"Cloud {cloudId} does not exist.");
        var target = await _clouds.GetTargetAsync(cloudId, cancellationToken)
            ?? throw new InvalidOperationException($"Cloud {cloudId} does not exist.");
        var terminal = await _launcher.OpenAsync(target, rows, cols, cancellationToken);
        return new Launched(cloud, new TerminalSession(Guid.NewGuid().ToString("n"), cloudId, cloud.DisplayName, userName, _time.GetUtcNow(), terminal,
            Channel.CreateBounded<byte[]>(new BoundedChannelOptions(_options.OutputBufferChunks) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }),
            _time));
    }

    /// <summary>Closes every terminal of a user (deleted, or no longer allowed to operate) and refuses opens in flight.</summary>
    public async Task CloseForUserAsync(string userName, string reason)
    {
        _closedUsers[userName] = true;
        var theirs = _sessions.Values.Where(s => s.UserName == userName).Select(s => s.Id).ToList();
        foreach (var id in theirs)
        {
            await CloseAsync(id, reason);
        }

        _logger.LogInformation("Closed {Count} terminal(s) of user {User}: {Reason}", theirs.Count, userName, reason);
    }

    /// <summary>A user name that exists again (re-created) may open terminals again.</summary>
    public void AllowUser(string userName) => _closedUsers.TryRemove(userName, out _);

    public async Task CloseAsync(string sessionId, string reason)
    {
        if (!_sessions.TryRemove(sessionId, out var session))
        {
            return;
        }
        await session.Terminal.DisposeAsync();
        session.Output.Writer.TryComplete();
        if (!_stopping)
        {
            await using var db = await _db.CreateDbContextAsync(CancellationToken.None);
            await db.TerminalAudit.Where(a => a.SessionId == sessionId)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.ClosedAt, _time.GetUtcNow()).SetProperty(a => a.CloseReason, reason));
        }
        _logger.LogInformation("Terminal {Session} of {User} on cloud {CloudId} closed: {Reason}", sessionId, session.UserName, session.CloudId, reason);
    }

    public async Task<IReadOnlyList<TerminalAuditEntity>> AuditAsync(int take, CancellationToken cancellationToken)
    {
        await using var db = await _db.CreateDbContextAsync(cancellationToken);
        return await db.TerminalAudit.AsNoTracking().OrderByDescending(a => a.Id).Take(take).ToListAsync(cancellationToken);
    }

    private async Task PumpAsync(TerminalSession session)
    {
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await session.Terminal.ReadAsync(buffer, CancellationToken.None)) > 0)
            {
                session.Touch();
                // Waiting here when the page falls behind is the back-pressure: the PTY fills and the remote side pauses.
                await session.Output.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (ChannelClosedException)
        {
            // The session was closed while output was still arriving.
        }
        session.Output.Writer.TryComplete();
        try
        {
            await CloseAsync(session.Id, "remote shell ended");
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            _logger.LogWarning(ex, "Could not record the end of terminal {Session}", session.Id);
        }
    }

    private async Task CloseIdleAsync()
    {
        try
        {
            foreach (var session in _sessions.Values.Where(s => s.IdleFor >= IdleTimeout))
            {
                await CloseAsync(session.Id, $"idle for {_options.IdleTimeoutMinutes} min");
            }
        }
        catch (Exception ex)
        {
            // A timer callback has no caller to report to; the next tick tries again.
            _logger.LogWarning(ex, "Closing idle terminals failed");
        }
    }

    /// <summary>Called by the host while services still work, so the audit log records the shutdown.</summary>
    public async Task CloseAllAsync(string reason)
    {
        foreach (var id in _sessions.Keys)
        {
            await CloseAsync(id, reason);
        }
    }

    /// <summary>Last resort when the container goes away: end every ssh process; the database may already be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _idleTimer.Dispose();
        await CloseAllAsync("server shutting down");
    }
}

/// <summary>Closes every terminal when the host stops, before the database and DI container are disposed.</summary>
internal sealed class TerminalShutdown(TerminalSessionManager manager) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => manager.CloseAllAsync("server shutting down");
}

public sealed class TerminalSession(string id, int cloudId, string cloudName, string userName, DateTimeOffset openedAt,
    IRemoteTerminal terminal, Channel<byte[]> output, TimeProvider time)
{
    private long _lastActivity = time.GetTimestamp();

    public string Id { get; } = id;
    public int CloudId { get; } = cloudId;
    public string CloudName { get; } = cloudName;
    public string UserName { get; } = userName;
    public DateTimeOffset OpenedAt { get; } = openedAt;
    internal IRemoteTerminal Terminal { get; } = terminal;
    internal Channel<byte[]> Output { get; } = output;
    internal Task? PumpTask { get; set; }

    public int? ProcessId => Terminal.ProcessId;

    public ChannelReader<byte[]> Reader => Output.Reader;

    public TimeSpan IdleFor => time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    internal void Touch() => Interlocked.Exchange(ref _lastActivity, time.GetTimestamp());

    private readonly object _writeGate = new();
    private Task _writes = Task.CompletedTask;

    /// <summary>
    /// Sends keystrokes in the order of the calls. Batches from the browser arrive as overlapping calls, and two
    /// overlapping writes to the PTY stream can land in either order, which scrambles a typed command; so each write
    /// starts only after the one before it ended (a failed write is reported to its own caller).
    /// </summary>
    public Task SendAsync(string input, CancellationToken cancellationToken)
    {
        Touch();
        var bytes = System.Text.Encoding.UTF8.GetBytes(input);
        lock (_writeGate)
        {
            _writes = WriteAfterAsync(_writes, bytes, cancellationToken);
            return _writes;
        }
    }

    private async Task WriteAfterAsync(Task previous, byte[] bytes, CancellationToken cancellationToken)
    {
        await Task.WhenAny(previous).ConfigureAwait(false);
        await Terminal.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    public void Resize(int rows, int cols) => Terminal.Resize(rows, cols);
}
