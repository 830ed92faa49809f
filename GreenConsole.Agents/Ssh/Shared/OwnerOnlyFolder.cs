namespace GreenConsole.Agents.Ssh;

/// <summary>The SSH data folder holds known_hosts (and for OpenSSH the control sockets): the app's user only.</summary>
internal static class OwnerOnlyFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Create(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.Exists && info.LinkTarget is not null)
        {
            throw new GreenConsole.Core.Remote.RemoteShellException(GreenConsole.Core.Remote.RemoteErrorKind.ClientError,
                $"SSH folder '{path}' is a symbolic link; refusing to use it.");
        }

        Directory.CreateDirectory(path);
        Restrict(path, OwnerOnly);
    }

    public static void Restrict(string path, UnixFileMode mode)
    {
        // On Windows the ACL defaults are left alone.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }
}
