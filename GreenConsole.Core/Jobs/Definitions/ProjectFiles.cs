using System.Text;
using System.Text.RegularExpressions;

namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>One regular file of a project: its path relative to the project folder ('/'-separated), size and SHA-256.</summary>
public sealed record ProjectFile(string Path, long Size, string Sha256);

/// <summary>What a sync must send: the files the cloud lacks or holds with other bytes.</summary>
public sealed record ProjectSyncPlan(IReadOnlyList<ProjectFile> ToSend, IReadOnlyList<ProjectFile> Unchanged)
{
    public long BytesToSend => ToSend.Sum(f => f.Size);

    /// <summary>Compares the controller's files with what the cloud reported (path → SHA-256).</summary>
    public static ProjectSyncPlan Between(IReadOnlyList<ProjectFile> local, IReadOnlyDictionary<string, string> remote)
    {
        var send = new List<ProjectFile>();
        var same = new List<ProjectFile>();
        foreach (var f in local)
        {
            (remote.TryGetValue(f.Path, out var h) && string.Equals(h, f.Sha256, StringComparison.OrdinalIgnoreCase) ? same : send).Add(f);
        }

        return new ProjectSyncPlan(send, same);
    }
}

/// <summary>What a sync did: files and bytes sent against the project's total, and how long it took.</summary>
public sealed record ProjectSyncResult(int FilesSent, long BytesSent, int FilesTotal, long BytesTotal, TimeSpan Elapsed)
{
    public string Describe() => FormattableString.Invariant($"{FilesSent} of {FilesTotal} files ({BytesSent} of {BytesTotal} bytes) sent in {Elapsed.TotalSeconds:0.00} s");
}

/// <summary>
/// The files a project sync leaves out: <c>.git/</c> always, plus the patterns of the project's <c>.gcignore</c>
/// (one glob per line, '#' comments; <c>*</c> and <c>?</c> stay inside one name, <c>**</c> crosses folders; a
/// trailing '/' matches a folder; a pattern without '/' matches a name at any depth).
/// </summary>
public sealed class ProjectIgnore
{
    public const string FileName = ".gcignore";

    private readonly List<(Regex Pattern, bool FolderOnly)> _rules = [];

    public ProjectIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var folderOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            var anchored = line.Contains('/', StringComparison.Ordinal);
            line = line.TrimStart('/');
            var body = ToRegex(line);
            var pattern = anchored ? "^" + body + "$" : "(^|/)" + body + "$";
            _rules.Add((new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)), folderOnly));
        }
    }

    public static ProjectIgnore None { get; } = new([]);

    /// <summary>True when the file or folder at <paramref name="relativePath"/> is left out.</summary>
    public bool Ignores(string relativePath, bool isFolder)
    {
        if (relativePath == ".git" || relativePath.StartsWith(".git/", StringComparison.Ordinal))
        {
            return true;
        }

        return _rules.Any(r => (isFolder || !r.FolderOnly) && r.Pattern.IsMatch(relativePath));
    }

    private static string ToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/')
                {
                    i++;
                    sb.Append("/?");
                }
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return sb.ToString();
    }
}

/// <summary>Port: ships a local project folder to a cloud, sending only what changed, verified by SHA-256 there.</summary>
public interface IProjectSync
{
    /// <summary>Reads the local folder: its files, sizes and hashes, leaving out what <see cref="ProjectIgnore"/> says.</summary>
    /// <exception cref="ProjectException">The folder is missing, or holds a link that points outside it.</exception>
    Task<IReadOnlyList<ProjectFile>> ScanAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Where a shipped project lives on a cloud for one job (absolute or starting with ~/).</summary>
    string ProjectOnCloud(string jobId);

    /// <exception cref="ProjectException">The copy failed or does not verify on the cloud (e.g. its disk filled).</exception>
    Task<ProjectSyncResult> SyncAsync(Remote.SshTarget target, string jobId, string folder, CancellationToken cancellationToken);
}

/// <summary>A project that cannot be shipped; the message names the folder or file.</summary>
public sealed class ProjectException(string message, Exception? inner = null) : Exception(message, inner);
