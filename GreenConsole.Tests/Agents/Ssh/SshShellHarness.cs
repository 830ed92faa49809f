using System.Collections.Concurrent;
using System.Diagnostics;
using GreenConsole.Agents.Ssh;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Ssh;

/// <summary>A real <see cref="OpenSshRemoteShell"/> with its own data folder and a logger that keeps every line.</summary>
internal sealed class SshShellHarness : IAsyncDisposable
{
    public SshShellHarness(Action<SshOptions>? configure = null)
    {
        DataDir = Path.Combine(Path.GetTempPath(), "gc-sshtest-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new SshOptions
        {
            DataDirectory = DataDir,
            ConnectTimeoutSeconds = 5,
            ControlPersistSeconds = 120,
            // The lab's keys live in its folder under the temp directory.
            KeyDirectories = Path.GetTempPath(),
        };
        configure?.Invoke(options);
        Shell = new OpenSshRemoteShell(Options.Create(options), Log, TimeProvider.System);
    }

    public string DataDir { get; }

    public SshTestLogger<OpenSshRemoteShell> Log { get; } = new();

    public OpenSshRemoteShell Shell { get; }

    public async ValueTask DisposeAsync()
    {
        await Shell.DisposeAsync();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }

        if (Directory.Exists(Shell.ControlDirectory))
        {
            Directory.Delete(Shell.ControlDirectory, recursive: true);
        }
    }

    /// <summary>Pids of processes whose command line names this shell's ControlMaster folder (the masters).</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string text)
    {
        var psi = new ProcessStartInfo("pgrep", ["-f", text]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Where(pid => pid != Environment.ProcessId).ToList();
    }
}

internal sealed class SshTestLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public string All => string.Join('\n', Lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)} {exception}");
}
