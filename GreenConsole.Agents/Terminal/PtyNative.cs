using System.Runtime.InteropServices;

namespace GreenConsole.Agents.Terminal;

/// <summary>
/// libc entry points for pseudo-terminals. .NET must never fork(), so children are started with posix_spawn and
/// made session leaders (POSIX_SPAWN_SETSID) so that opening the slave as fd 0 makes it their controlling terminal.
/// </summary>
internal static partial class PtyNative
{
    private const string Libc = "libc";

    public const int TIOCSWINSZ = 0x5414;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;
    public const int O_RDWR = 0x0002;
    public const int WNOHANG = 1;
    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int EINTR = 4;
    public const int ECHILD = 10;

    // glibc's opaque types, sized generously: posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336 and
    // sigset_t 128 on x86-64 and arm64.
    public const int FileActionsSize = 256;
    public const int SpawnAttrSize = 512;
    public const int SigSetSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixel;
        public ushort YPixel;
    }

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int openpty(out int master, out int slave, nint name, nint termios, ref WinSize winsize);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint ptsname(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, ref WinSize winsize);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawn_file_actions_init(nint actions);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawn_file_actions_destroy(nint actions);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawn_file_actions_addclose(nint actions, int fd);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn_file_actions_addopen(nint actions, int fd, string path, int oflag, int mode);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawn_file_actions_adddup2(nint actions, int fd, int newfd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawnattr_init(nint attr);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawnattr_destroy(nint attr);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawnattr_setflags(nint attr, short flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawnattr_setsigmask(nint attr, nint sigset);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawnattr_setsigdefault(nint attr, nint sigset);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sigemptyset(nint set);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sigfillset(nint set);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn(out int pid, string path, nint fileActions, nint attr, nint argv, nint envp);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int kill(int pid, int signal);
}
