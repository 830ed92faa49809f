namespace GreenConsole.Agents.Ssh;

/// <summary>Builds remote shell words from untrusted paths (the remote login shell parses them).</summary>
internal static class RemoteQuoting
{
    /// <summary>POSIX single-quoting: nothing inside is expanded.</summary>
    public static string Quote(string value)
    {
        RejectControl(value);
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Quotes a path but keeps a leading "~" meaning the remote home directory.</summary>
    public static string QuotePath(string path)
    {
        RejectControl(path);
        if (path == "~")
        {
            return "\"$HOME\"";
        }

        return path.StartsWith("~/", StringComparison.Ordinal) ? "\"$HOME\"/" + Quote(path[2..]) : Quote(path);
    }

    /// <summary>scp (SFTP mode) resolves relative paths against the home directory, so "~/x" becomes "x".</summary>
    public static string ForScp(string path)
    {
        RejectControl(path);
        if (path == "~")
        {
            return ".";
        }

        return path.StartsWith("~/", StringComparison.Ordinal) ? path[2..] : path;
    }

    public static (string Parent, string Name) Split(string path)
    {
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        var slash = trimmed.LastIndexOf('/');
        if (slash < 0)
        {
            return (".", trimmed);
        }

        return (slash == 0 ? "/" : trimmed[..slash], trimmed[(slash + 1)..]);
    }

    private static void RejectControl(string value)
    {
        if (value.IndexOfAny(['\0', '\n', '\r']) >= 0)
        {
            throw new ArgumentException("Remote paths must not contain NUL or line breaks.", nameof(value));
        }
    }
}
