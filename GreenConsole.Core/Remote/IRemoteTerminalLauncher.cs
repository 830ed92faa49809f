namespace GreenConsole.Core.Remote;

/// <summary>Port for interactive shells on a cloud, each on its own pseudo-terminal.</summary>
public interface IRemoteTerminalLauncher
{
    /// <summary>Opens a login shell. Throws <see cref="RemoteShellException"/> when the cloud cannot be reached or trusted.</summary>
    Task<IRemoteTerminal> OpenAsync(SshTarget target, int rows, int cols, CancellationToken cancellationToken);
}

public interface IRemoteTerminal : IAsyncDisposable
{
    /// <summary>The local ssh client's process id (OpenSSH), or null where the terminal is a channel of this process (SSH.NET).</summary>
    int? ProcessId { get; }

    bool HasExited { get; }

    /// <summary>Reads terminal output; returns 0 once the remote side hangs up.</summary>
    Task<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    Task WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken);

    void Resize(int rows, int cols);
}
