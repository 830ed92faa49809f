using System.Security.Cryptography;
using GreenConsole.Core.Jobs.Definitions;

namespace GreenConsole.Agents.Training.Projects;

/// <summary>Reads a project folder on the controller: its files and hashes, refusing what could leak files from outside it.</summary>
internal static class LocalProject
{
    /// <summary>More files than this is not a training project but a data set: declare it as a data path instead.</summary>
    public const int MaxFiles = 20_000;

    public static async Task<IReadOnlyList<ProjectFile>> ScanAsync(string folder, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(folder) || !Directory.Exists(folder))
        {
            throw new ProjectException($"project: the folder '{folder}' does not exist on the controller.");
        }

        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var ignoreFile = Path.Combine(root, ProjectIgnore.FileName);
        var ignore = File.Exists(ignoreFile) ? new ProjectIgnore(await File.ReadAllLinesAsync(ignoreFile, ct).ConfigureAwait(false)) : ProjectIgnore.None;
        var files = new List<(string Rel, string Full)>();
        Walk(root, root, ignore, files);
        var result = new ProjectFile[files.Count];
        // Two cores here: hashing in parallel pays off for large projects only, and it never changes the result.
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = 2 }, async (i, token) =>
        {
            var (rel, full) = files[i];
            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var hash = await SHA256.HashDataAsync(stream, token).ConfigureAwait(false);
            result[i] = new ProjectFile(rel, stream.Length, Convert.ToHexStringLower(hash));
        }).ConfigureAwait(false);
        return result;
    }

    private static void Walk(string root, string dir, ProjectIgnore ignore, List<(string, string)> files)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
            var isFolder = entry is DirectoryInfo;
            if (ignore.Ignores(rel, isFolder))
            {
                continue;
            }

            if (rel.Any(c => char.IsControl(c) || c == '\\'))
            {
                throw new ProjectException($"project: '{Printable(rel)}' has a control character or backslash in its name; rename it or list it in {ProjectIgnore.FileName}.");
            }

            if (entry.LinkTarget is not null)
            {
                var target = entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(entry.FullName)!, entry.LinkTarget));
                var inside = target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
                if (!inside)
                {
                    throw new ProjectException($"project: '{rel}' is a link to '{entry.LinkTarget}', outside the project folder; GreenConsole never ships files from outside a project. Copy the file in or list the link in {ProjectIgnore.FileName}.");
                }

                if (isFolder || Directory.Exists(target))
                {
                    throw new ProjectException($"project: '{rel}' is a link to a folder; only links to files inside the project are shipped (as copies).");
                }

                files.Add((rel, target));
                continue;
            }

            if (isFolder)
            {
                Walk(root, entry.FullName, ignore, files);
            }
            else if (entry is FileInfo)
            {
                files.Add((rel, entry.FullName));
            }

            if (files.Count > MaxFiles)
            {
                throw new ProjectException($"project: more than {MaxFiles} files; list data and outputs in {ProjectIgnore.FileName} and declare large data sets as data paths.");
            }
        }
    }

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
