namespace GreenConsole.Core.Remote;

/// <summary>Port for running commands on and moving files between clouds.</summary>
/// <remarks>
/// A command that ran and exited non-zero is a normal <see cref="RemoteCommandResult"/>; only failures to
/// reach, authenticate or trust the host throw <see cref="RemoteShellException"/>, so callers can never
/// mistake "cannot reach the host" for "the job failed".
/// </remarks>
public interface IRemoteShell
{
    Task<RemoteCommandResult> RunAsync(SshTarget target, string command, TimeSpan timeout, CancellationToken cancellationToken);

    Task UploadAsync(SshTarget target, string localPath, string remotePath, CancellationToken cancellationToken);

    Task DownloadAsync(SshTarget target, string remotePath, string localPath, CancellationToken cancellationToken);

    /// <summary>Copies a file or directory from one cloud to another, without staging it on the controller.</summary>
    Task<TransferResult> CopyBetweenAsync(SshTarget source, string sourcePath, SshTarget destination, string destinationPath, CancellationToken cancellationToken);

    /// <summary>Connects (or reuses the master connection) and reports reachability, latency and host key.</summary>
    Task<ConnectionCheck> CheckAsync(SshTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// The SHA-256 fingerprints ("SHA256:...") of the host keys the cloud presents now, read without logging in.
    /// Nothing is trusted or pinned: this is what an administrator compares before re-trusting a re-keyed host.
    /// </summary>
    Task<IReadOnlyList<string>> ReadHostKeysAsync(SshTarget target, CancellationToken cancellationToken);

    /// <summary>Closes the multiplexed master connection to a cloud, if any.</summary>
    Task DisconnectAsync(SshTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a long-lived command whose stdin and stdout stay open (for request/answer loops). Throws
    /// <see cref="RemoteShellException"/> when the cloud cannot be reached; dispose the session to end it.
    /// </summary>
    Task<IRemoteSession> OpenSessionAsync(SshTarget target, string command, CancellationToken cancellationToken);
}

public sealed record RemoteCommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;
}

/// <param name="Files">
/// What the controller itself saw pass through it: each regular file of the copied tree (path relative to the copied
/// folder's parent), its size and SHA-256. Null where the adapter did not relay the bytes.
/// </param>
public sealed record TransferResult(long Bytes, TimeSpan Elapsed, IReadOnlyList<CopiedFile>? Files = null)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;
}

public sealed record CopiedFile(string Path, long Size, string Sha256);

public sealed record ConnectionCheck(
    bool Reachable,
    TimeSpan? RoundTrip,
    string? HostKeyFingerprint,
    RemoteErrorKind? ErrorKind,
    string? Error);

public enum RemoteErrorKind
{
    /// <summary>TCP connection refused, no route, DNS failure or connect timeout.</summary>
    HostUnreachable,
    /// <summary>The host answered but rejected the credentials.</summary>
    AuthenticationFailed,
    /// <summary>The host presented a key different from the pinned one.</summary>
    HostKeyChanged,
    /// <summary>The operation exceeded its time limit.</summary>
    Timeout,
    /// <summary>A file transfer failed after the connection was established.</summary>
    TransferFailed,
    /// <summary>The local ssh client could not be started or misbehaved.</summary>
    ClientError,
    /// <summary>The command printed more than the controller keeps (Ssh:MaxOutputBytes) and was ended.</summary>
    OutputLimitExceeded,
}

public sealed class RemoteShellException(RemoteErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public RemoteErrorKind Kind { get; } = kind;
}
