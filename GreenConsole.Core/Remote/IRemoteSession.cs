namespace GreenConsole.Core.Remote;

/// <summary>
/// A long-lived remote command that talks in lines over its stdin and stdout (see
/// <see cref="IRemoteShell.OpenSessionAsync"/>). Not thread-safe: one request and its answer at a time.
/// </summary>
public interface IRemoteSession : IAsyncDisposable
{
    /// <summary>
    /// The local client's process id where the adapter runs one (OpenSSH), so callers can prove it is gone after
    /// close; null where the session is a channel of this process's own connection (SSH.NET).
    /// </summary>
    int? ProcessId { get; }

    bool HasExited { get; }

    /// <summary>Sends one line to the command's stdin. Throws <see cref="RemoteShellException"/> once the session has ended.</summary>
    Task WriteLineAsync(string line, CancellationToken cancellationToken);

    /// <summary>
    /// The next line the command printed. When the command or the connection ended, throws a classified
    /// <see cref="RemoteShellException"/> (<see cref="RemoteErrorKind.ClientError"/> when the remote side simply exited).
    /// </summary>
    Task<string> ReadLineAsync(CancellationToken cancellationToken);
}
