using System.Runtime.Versioning;

namespace GreenConsole.Web.Data;

/// <summary>
/// Unix modes for the secrets at rest: the database holds password hashes and encrypted cloud passwords, and the key
/// ring decrypts those passwords, so another local account must not be able to read either. Windows has no Unix
/// modes; there every method does nothing and the folder's inherited ACL applies.
/// </summary>
internal static class OwnerOnlyFiles
{
    public const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates a missing folder, and any missing parents, as 0700; an existing folder is left as it is.</summary>
    public static void CreateFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerFolder);
        }
    }

    /// <summary>Creates an empty file as 0600 unless one exists, so that no later writer creates it with the umask's mode.</summary>
    public static void CreateFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                new FileStream(path, FileMode.CreateNew, FileAccess.Write).Dispose();
            }
            else
            {
                new FileStream(path, CreateOwnerOnly()).Dispose();
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process (the CLI beside the web app) created it in between; TightenFile sees to its mode.
        }
    }

    /// <summary>Sets an existing file to 0600; a file that is not there (a -wal already removed) needs nothing.</summary>
    public static void TightenFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            Tighten(path, OwnerFile, isFolder: false);
        }
    }

    /// <summary>Sets an existing folder to 0700; for folders that hold nothing but our secrets.</summary>
    public static void TightenFolder(string folder)
    {
        if (!OperatingSystem.IsWindows())
        {
            Tighten(folder, OwnerFolder, isFolder: true);
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static FileStreamOptions CreateOwnerOnly() => new()
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        UnixCreateMode = OwnerFile,
    };

    [UnsupportedOSPlatform("windows")]
    private static void Tighten(string path, UnixFileMode mode, bool isFolder)
    {
        try
        {
            FileSystemInfo entry = isFolder ? new DirectoryInfo(path) : new FileInfo(path);
            if (entry.Exists && entry.UnixFileMode != mode)
            {
                entry.UnixFileMode = mode;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // SQLite removes -wal and -shm when its last connection closes; a file that is gone exposes nothing.
        }
        catch (UnauthorizedAccessException e)
        {
            // Starting anyway would leave the secrets readable by others; the operator has to fix the ownership.
            throw new InvalidOperationException(
                $"{path} must be readable by its owner only, but this account may not change its mode (it is not the owner); chown it to this account or chmod {(isFolder ? "700" : "600")} it.",
                e);
        }
    }
}
