using System.Formats.Tar;
using System.Globalization;
using System.Text;
using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Training.Projects;

/// <summary>
/// <see cref="IProjectSync"/> over <see cref="IRemoteShell"/>: the cloud reports the SHA-256 of what it holds, only the
/// files that differ travel (one tar), they land in a staging folder, are hashed there against the controller's own
/// record, and only then replace the old copies. A copy that fails (a full disk) leaves the previous project intact.
/// </summary>
internal sealed class ProjectSync(IRemoteShell shell, IOptions<TrainingAgentOptions> options, TimeProvider time, ILogger<ProjectSync> logger) : IProjectSync
{
    private TimeSpan Timeout => TimeSpan.FromSeconds(options.Value.CommandTimeoutSeconds) * 5;

    public string ProjectOnCloud(string jobId) => "~/" + options.Value.RemoteDirectory + "/jobs/" + jobId + "/project";

    public Task<IReadOnlyList<ProjectFile>> ScanAsync(string folder, CancellationToken cancellationToken) => LocalProject.ScanAsync(folder, cancellationToken);

    public async Task<ProjectSyncResult> SyncAsync(SshTarget target, string jobId, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!TrainingJobSpec.IsValidJobId(jobId))
        {
            throw new ArgumentException($"'{jobId}' is not a valid job id.", nameof(jobId));
        }

        var started = time.GetTimestamp();
        var local = await LocalProject.ScanAsync(folder, cancellationToken).ConfigureAwait(false);
        var root = Path.GetFullPath(folder);
        var p = "\"$HOME/" + options.Value.RemoteDirectory + "/jobs/" + jobId + "/project\"";
        var listing = await shell.RunAsync(target,
            "P=" + p + "; mkdir -p \"$P\" && cd \"$P\" && find . -type f ! -path './.gc-staging/*' -print0 | xargs -0 -r sha256sum --",
            Timeout, cancellationToken).ConfigureAwait(false);
        if (!listing.Succeeded)
        {
            throw new ProjectException($"Listing the project of job '{jobId}' on cloud {target.CloudId} failed (exit {listing.ExitCode}): {Trim(listing.StandardError)}");
        }

        var plan = ProjectSyncPlan.Between(local, ParseSha256Sum(listing.StandardOutput));
        var total = local.Sum(f => f.Size);
        if (plan.ToSend.Count == 0)
        {
            return new ProjectSyncResult(0, 0, local.Count, total, time.GetElapsedTime(started));
        }

        var tar = Path.Combine(Path.GetTempPath(), "gc-project-" + Guid.NewGuid().ToString("N") + ".tar");
        try
        {
            await WriteTarAsync(tar, root, plan.ToSend, cancellationToken).ConfigureAwait(false);
            var remoteTar = ProjectOnCloud(jobId) + "/.gc-upload.tar";
            try
            {
                await shell.UploadAsync(target, tar, remoteTar, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteShellException e) when (e.Kind == RemoteErrorKind.TransferFailed)
            {
                await CleanUpAsync(target, p, cancellationToken).ConfigureAwait(false);
                throw new ProjectException($"Copying the project of job '{jobId}' to cloud {target.CloudId} failed ({e.Message}); the disk there may be full. The project there is unchanged.", e);
            }

            var extract = await shell.RunAsync(target,
                "P=" + p + "; S=\"$P/.gc-staging\"; rm -rf \"$S\"; mkdir -p \"$S\" && " +
                "tar -xf \"$P/.gc-upload.tar\" -C \"$S\" --no-same-owner --no-same-permissions && rm -f \"$P/.gc-upload.tar\" && " +
                "cd \"$S\" && find . -type f -print0 | xargs -0 -r sha256sum --",
                Timeout, cancellationToken).ConfigureAwait(false);
            if (!extract.Succeeded)
            {
                await CleanUpAsync(target, p, cancellationToken).ConfigureAwait(false);
                throw new ProjectException($"Unpacking the project of job '{jobId}' on cloud {target.CloudId} failed (exit {extract.ExitCode}): {Trim(extract.StandardError)}. The project there is unchanged.");
            }

            var landed = ParseSha256Sum(extract.StandardOutput);
            var bad = plan.ToSend.Where(f => !landed.TryGetValue(f.Path, out var h) || !string.Equals(h, f.Sha256, StringComparison.OrdinalIgnoreCase)).ToList();
            if (bad.Count > 0)
            {
                await CleanUpAsync(target, p, cancellationToken).ConfigureAwait(false);
                throw new ProjectException($"The project of job '{jobId}' does not verify on cloud {target.CloudId}: {string.Join(", ", bad.Take(5).Select(f => f.Path))} differ from the controller's SHA-256. The project there is unchanged.");
            }

            // Only verified bytes replace the old copies (mv within one file system is atomic per file).
            var move = await shell.RunAsync(target,
                "P=" + p + "; S=\"$P/.gc-staging\"; cd \"$S\" && find . -type f -print0 | " +
                "while IFS= read -r -d '' f; do mkdir -p \"$P/$(dirname \"$f\")\" && mv -f \"$f\" \"$P/$f\" || exit 1; done && cd \"$P\" && rm -rf \"$S\"",
                Timeout, cancellationToken).ConfigureAwait(false);
            if (!move.Succeeded)
            {
                throw new ProjectException($"Putting the project of job '{jobId}' in place on cloud {target.CloudId} failed (exit {move.ExitCode}): {Trim(move.StandardError)}");
            }

            var result = new ProjectSyncResult(plan.ToSend.Count, plan.BytesToSend, local.Count, total, time.GetElapsedTime(started));
            logger.LogInformation("Project of job {Job} synced to cloud {Cloud}: {Files} of {Total} files, {Bytes} bytes", jobId, target.CloudId, result.FilesSent, result.FilesTotal, result.BytesSent);
            return result;
        }
        finally
        {
            File.Delete(tar);
        }
    }

    private async Task CleanUpAsync(SshTarget target, string p, CancellationToken ct)
    {
        try
        {
            await shell.RunAsync(target, "P=" + p + "; rm -rf \"$P/.gc-staging\" \"$P/.gc-upload.tar\"", Timeout, ct).ConfigureAwait(false);
        }
        catch (RemoteShellException e)
        {
            logger.LogWarning("Could not clean the staging folder on cloud {Cloud}: {Error}", target.CloudId, e.Message);
        }
    }

    private static async Task WriteTarAsync(string path, string root, IReadOnlyList<ProjectFile> files, CancellationToken ct)
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, create);
        await using var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false);
        foreach (var f in files)
        {
            var full = Path.Combine(root, f.Path.Replace('/', Path.DirectorySeparatorChar));
            var resolved = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
            await using var data = new FileStream(resolved, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, f.Path)
            {
                DataStream = data,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                    | (IsExecutable(resolved) ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : UnixFileMode.None),
            };
            await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
        }
    }

    private static bool IsExecutable(string path) => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;

    /// <summary>sha256sum lines "HASH  ./path"; a name sha256sum had to escape (a leading '\') is skipped, so it is sent again.</summary>
    internal static Dictionary<string, string> ParseSha256Sum(string output)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length < 67 || line[64] != ' ' || line.StartsWith('\\'))
            {
                continue;
            }

            var name = line[66..];
            if (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }

            map[name] = line[..64].ToLowerInvariant();
        }

        return map;
    }

    private static string Trim(string s) => s.Length <= 500 ? s.Trim() : s[..500].Trim() + "...";
}
