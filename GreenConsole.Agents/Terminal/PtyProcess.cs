using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GreenConsole.Agents.Terminal;

/// <summary>
/// A child process attached to a fresh pseudo-terminal. Output and input flow through <see cref="Stream"/>;
/// <see cref="Resize"/> reaches the child as SIGWINCH, so full-screen programs and <c>stty size</c> see it.
/// </summary>
public sealed class PtyProcess : IAsyncDisposable
{
    private readonly int _master;
    private int _exitCode = int.MinValue;
    private int _disposed;

    private PtyProcess(int pid, int master, FileStream stream)
    {
        Pid = pid;
        _master = master;
        Stream = stream;
    }

    public int Pid { get; }

    /// <summary>Reads give the terminal's output; writes are keystrokes. Reads end (0 or IOException) when the child hangs up.</summary>
    public FileStream Stream { get; }

    public bool HasExited => TryReap(out _);

    /// <summary>Starts <paramref name="path"/> with its arguments on a new PTY of the given size. The environment is exactly <paramref name="environment"/>.</summary>
    public static PtyProcess Start(string path, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, int rows, int cols)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Terminals need a Linux pseudo-terminal.");
        }

        var size = new PtyNative.WinSize { Rows = (ushort)rows, Cols = (ushort)cols };
        if (PtyNative.openpty(out var master, out var slave, 0, 0, ref size) != 0)
        {
            throw new IOException($"openpty failed (errno {Marshal.GetLastPInvokeError()})");
        }

        var slavePath = Marshal.PtrToStringUTF8(PtyNative.ptsname(master))
            ?? throw new IOException("ptsname returned no path");

        var actions = Marshal.AllocHGlobal(PtyNative.FileActionsSize);
        var attr = Marshal.AllocHGlobal(PtyNative.SpawnAttrSize);
        var emptySet = Marshal.AllocHGlobal(PtyNative.SigSetSize);
        var fullSet = Marshal.AllocHGlobal(PtyNative.SigSetSize);
        var argv = NativeStringArray.Create([path, .. arguments]);
        var envp = NativeStringArray.Create([.. environment.Select(kv => kv.Key + "=" + kv.Value)]);
        try
        {
            Check(PtyNative.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(PtyNative.posix_spawnattr_init(attr), "posix_spawnattr_init");
            // Only the slave, reopened as fd 0, may reach the child: it becomes the controlling terminal of the new session.
            Check(PtyNative.posix_spawn_file_actions_addclose(actions, master), "addclose(master)");
            Check(PtyNative.posix_spawn_file_actions_addclose(actions, slave), "addclose(slave)");
            Check(PtyNative.posix_spawn_file_actions_addopen(actions, 0, slavePath, PtyNative.O_RDWR, 0), "addopen(slave)");
            Check(PtyNative.posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2(1)");
            Check(PtyNative.posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2(2)");

            // The runtime blocks or ignores some signals in its own threads; a shell must start with defaults.
            PtyNative.sigemptyset(emptySet);
            PtyNative.sigfillset(fullSet);
            Check(PtyNative.posix_spawnattr_setsigmask(attr, emptySet), "setsigmask");
            Check(PtyNative.posix_spawnattr_setsigdefault(attr, fullSet), "setsigdefault");
            Check(PtyNative.posix_spawnattr_setflags(attr, (short)(PtyNative.POSIX_SPAWN_SETSID | PtyNative.POSIX_SPAWN_SETSIGMASK | PtyNative.POSIX_SPAWN_SETSIGDEF)), "setflags");

            var rc = PtyNative.posix_spawn(out var pid, path, actions, attr, argv.Pointer, envp.Pointer);
            if (rc != 0)
            {
                PtyNative.close(master);
                throw new IOException($"posix_spawn of {path} failed (errno {rc})");
            }

            var stream = new FileStream(new SafeFileHandle(master, ownsHandle: false), FileAccess.ReadWrite, bufferSize: 0, isAsync: false);
            return new PtyProcess(pid, master, stream);
        }
        finally
        {
            PtyNative.close(slave);
            PtyNative.posix_spawn_file_actions_destroy(actions);
            PtyNative.posix_spawnattr_destroy(attr);
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(emptySet);
            Marshal.FreeHGlobal(fullSet);
            argv.Dispose();
            envp.Dispose();
        }
    }

    public void Resize(int rows, int cols)
    {
        var size = new PtyNative.WinSize { Rows = (ushort)Math.Clamp(rows, 1, 1000), Cols = (ushort)Math.Clamp(cols, 1, 1000) };
        if (PtyNative.ioctl(_master, PtyNative.TIOCSWINSZ, ref size) != 0)
        {
            throw new IOException($"TIOCSWINSZ failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Non-blocking check; reaps the child once it has exited so no zombie is left.</summary>
    public bool TryReap(out int exitCode)
    {
        if (_exitCode != int.MinValue)
        {
            exitCode = _exitCode;
            return true;
        }
        var rc = PtyNative.waitpid(Pid, out var status, PtyNative.WNOHANG);
        if (rc == Pid || (rc < 0 && Marshal.GetLastPInvokeError() == PtyNative.ECHILD))
        {
            // WIFEXITED: low 7 bits zero; otherwise report 128 + signal like a shell does.
            _exitCode = rc == Pid ? ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)) : -1;
            exitCode = _exitCode;
            return true;
        }
        exitCode = 0;
        return false;
    }

    /// <summary>Waits for the child to exit, polling because SIGCHLD belongs to the runtime.</summary>
    public async Task<int> WaitForExitAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        while (!TryReap(out _))
        {
            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
        return _exitCode;
    }

    public void Signal(int signal)
    {
        if (!TryReap(out _))
        {
            PtyNative.kill(Pid, signal);
        }
    }

    /// <summary>Hangs up (SIGHUP, as a closed terminal would), then kills if the child lingers, and reaps it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        Signal(PtyNative.SIGHUP);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await WaitForExitAsync(TimeProvider.System, grace.Token);
        }
        catch (OperationCanceledException)
        {
            Signal(PtyNative.SIGKILL);
            await WaitForExitAsync(TimeProvider.System, CancellationToken.None);
        }
        await Stream.DisposeAsync();
        PtyNative.close(_master);
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"{what} failed (errno {rc})");
        }
    }

    private sealed class NativeStringArray : IDisposable
    {
        private readonly nint[] _strings;

        private NativeStringArray(nint pointer, nint[] strings)
        {
            Pointer = pointer;
            _strings = strings;
        }

        public nint Pointer { get; }

        public static NativeStringArray Create(IReadOnlyList<string> values)
        {
            var strings = values.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
            var pointer = Marshal.AllocHGlobal(nint.Size * (strings.Length + 1));
            for (var i = 0; i < strings.Length; i++)
            {
                Marshal.WriteIntPtr(pointer, i * nint.Size, strings[i]);
            }
            Marshal.WriteIntPtr(pointer, strings.Length * nint.Size, 0);
            return new NativeStringArray(pointer, strings);
        }

        public void Dispose()
        {
            foreach (var s in _strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
            Marshal.FreeHGlobal(Pointer);
        }
    }
}
