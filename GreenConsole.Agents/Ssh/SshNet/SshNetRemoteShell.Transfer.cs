using System.Formats.Tar;
using System.Globalization;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Renci.SshNet;

namespace GreenConsole.Agents.Ssh.SshNet;

internal sealed partial class SshNetRemoteShell
{
    /// <summary>A file goes through <c>head -c</c>, a folder through tar; either lands beside its place and is renamed into it.</summary>
    public async Task UploadAsync(SshTarget target, string localPath, string remotePath, CancellationToken cancellationToken)
    {
        Validate(target);
        var local = Path.GetFullPath(localPath);
        var isFile = File.Exists(local);
        if (!isFile && !Directory.Exists(local))
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed, $"Upload to cloud {target.CloudId}: local path '{local}' does not exist.");
        }

        var (parent, _) = RemoteQuoting.Split(remotePath);
        string command;
        if (isFile)
        {
            var mode = OperatingSystem.IsWindows() ? "0644" : Convert.ToString((int)File.GetUnixFileMode(local) & 0x1FF, 8).PadLeft(4, '0');
            command = $"set -e; d={RemoteQuoting.QuotePath(parent)}; mkdir -p -- \"$d\"; t=$(mktemp \"$d/.gc-up.XXXXXX\"); trap 'rm -f -- \"$t\"' EXIT; " +
                // head reads exactly the file's bytes: SSH.NET never signals the end of an empty input.
                $"head -c {new FileInfo(local).Length.ToString(CultureInfo.InvariantCulture)} > \"$t\"; chmod {mode} \"$t\"; mv -f -- \"$t\" {RemoteQuoting.QuotePath(remotePath)}";
        }
        else
        {
            command = TreeCopy.UnpackNamed(Path.GetFileName(local.TrimEnd(Path.DirectorySeparatorChar)), remotePath);
        }

        var started = _time.GetTimestamp();
        await StreamToAsync(target, command, "Upload", async input =>
        {
            if (isFile)
            {
                await using var file = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1024 * 1024, useAsync: true);
                await file.CopyToAsync(input, 1024 * 1024, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await TarFile.CreateFromDirectoryAsync(local, input, includeBaseDirectory: true, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Uploaded {Local} to {Cloud}:{Remote} in {Ms} ms", local, target.CloudId, remotePath, Ms(_time.GetElapsedTime(started)));
    }

    /// <summary>
    /// A file is written beside <paramref name="localPath"/> and renamed into place; a folder arrives as tar and only
    /// plain files and folders inside it are written, never links or paths that climb out.
    /// </summary>
    public async Task DownloadAsync(SshTarget target, string remotePath, string localPath, CancellationToken cancellationToken)
    {
        Validate(target);
        var local = Path.GetFullPath(localPath);
        var parent = Path.GetDirectoryName(local) ?? throw new ArgumentException("The local path has no parent folder.", nameof(localPath));
        Directory.CreateDirectory(parent);
        var (remoteParent, remoteName) = RemoteQuoting.Split(remotePath);
        var p = RemoteQuoting.QuotePath(remotePath);
        var command = $"if [ -d {p} ]; then printf D; tar -C {RemoteQuoting.QuotePath(remoteParent)} -cf - -- {RemoteQuoting.Quote(remoteName)}; " +
            $"elif [ -f {p} ]; then printf F; cat -- {p}; else echo \"{remotePath.Replace("\"", "", StringComparison.Ordinal)}: No such file or directory\" >&2; exit 2; fi";
        var started = _time.GetTimestamp();
        var staging = Path.Combine(parent, ".gc-down-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await StreamFromAsync(target, command, "Download", async output =>
            {
                var kind = new byte[1];
                if (await output.ReadAsync(kind, cancellationToken).ConfigureAwait(false) != 1)
                {
                    return;
                }

                if (kind[0] == (byte)'F')
                {
                    await using var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024, useAsync: true);
                    await output.CopyToAsync(file, 1024 * 1024, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ExtractAsync(output, staging, cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);

            var arrived = Directory.Exists(staging) ? Path.Combine(staging, remoteName) : staging;
            if (Directory.Exists(local))
            {
                Directory.Delete(local, recursive: true);
            }

            if (Directory.Exists(arrived))
            {
                Directory.Move(arrived, local);
            }
            else
            {
                File.Move(arrived, local, overwrite: true);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            else if (File.Exists(staging))
            {
                File.Delete(staging);
            }
        }

        _logger.LogInformation("Downloaded {Cloud}:{Remote} to {Local} in {Ms} ms", target.CloudId, remotePath, local, Ms(_time.GetElapsedTime(started)));
    }

    /// <summary>
    /// Streams a tar of the source path from one cloud's exec channel into the other's, through this process's memory.
    /// The destination path is replaced atomically (extracted beside it, then renamed). Bytes counts the tar stream.
    /// </summary>
    public async Task<TransferResult> CopyBetweenAsync(SshTarget source, string sourcePath, SshTarget destination, string destinationPath, CancellationToken cancellationToken)
    {
        Validate(source);
        Validate(destination);
        using var lease = await AcquireAsync([source, destination], cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        var clients = await Task.WhenAll(
            Connections.GetAsync(source, SetupTimeout, cancellationToken),
            Connections.GetAsync(destination, SetupTimeout, cancellationToken)).ConfigureAwait(false);

        using var limit = new CancellationTokenSource(TransferTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        using var producer = Start(source, clients[0], TreeCopy.PackCommand(sourcePath), out var produced);
        using var consumer = Start(destination, clients[1], TreeCopy.UnpackCommand(sourcePath, destinationPath), out var consumed);
        // Read directly: data is nearly always waiting during a copy, so SSH.NET's blocking read costs no idle pool
        // thread here, and skipping the pump saves a copy of every byte (1 GiB: 9.5 s through the pump).
        var producerOutput = producer.OutputStream;
        using var producerErrors = Err(producer, source);
        using var consumerErrors = Err(consumer, destination);
        using var consumerOutput = Out(consumer, destination);
        var producerErr = BoundedRead.ReadAsync(producerErrors, _options.MaxErrorBytes, onOverflow: null);
        var consumerErr = BoundedRead.ReadAsync(consumerErrors, _options.MaxErrorBytes, onOverflow: null);
        var consumerOut = BoundedRead.ReadAsync(consumerOutput, _options.MaxErrorBytes, onOverflow: null);

        long bytes;
        // The controller's own record of what it relayed; it also refuses links and paths a checkpoint never holds.
        var recorder = new TarStreamRecorder();
        try
        {
            var input = consumer.CreateInputStream();
            try
            {
                bytes = await TreeCopy.RelayAsync(producerOutput, input, recorder, SshNetErrors.IsConnectionFailure, linked.Token).ConfigureAwait(false);
            }
            catch (Exception refused) when (refused is InvalidDataException or UnsafeArchiveException)
            {
                // Never let the target's tar see the rest, nor finish: the half-written copy is discarded there.
                await Task.WhenAll(Abort(consumer, consumed), Abort(producer, produced)).ConfigureAwait(false);
                _logger.LogWarning("Copy from cloud {SourceCloud} to {DestinationCloud} refused: {Reason}", source.CloudId, destination.CloudId, refused.Message);
                throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                    $"Copy of '{sourcePath}' from cloud {source.CloudId} to {destination.CloudId} refused: {refused.Message}", refused);
            }
            finally
            {
                CloseQuietly(input);
            }

            await Task.WhenAll(produced, consumed).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            await Task.WhenAll(Abort(consumer, consumed), Abort(producer, produced)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RemoteShellException(RemoteErrorKind.Timeout,
                $"Copy from cloud {source.CloudId} to {destination.CloudId} did not finish within {_options.TransferTimeoutSeconds} s.");
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            Connections.Invalidate(source, clients[0]);
            Connections.Invalidate(destination, clients[1]);
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                $"Copy from cloud {source.CloudId} to {destination.CloudId} lost its connection: {e.Message}", e);
        }

        var srcErr = (await producerErr.ConfigureAwait(false)).Describe();
        var dstErr = (await consumerErr.ConfigureAwait(false)).Describe();
        await consumerOut.ConfigureAwait(false);
        if (producer.ExitStatus is not 0)
        {
            throw CopyFailure(source, "reading", sourcePath, producer.ExitStatus, srcErr);
        }

        if (consumer.ExitStatus is not 0)
        {
            throw CopyFailure(destination, "writing", destinationPath, consumer.ExitStatus, dstErr);
        }

        if (!recorder.Ended)
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                $"Copy of '{sourcePath}' from cloud {source.CloudId} to {destination.CloudId}: the archive ended early ({bytes} bytes).");
        }

        var elapsed = _time.GetElapsedTime(started);
        _logger.LogInformation("Copied {SourceCloud}:{SourcePath} to {DestinationCloud}:{DestinationPath}: {Bytes} bytes in {Ms} ms ({MBps} MB/s, {Cipher})",
            source.CloudId, sourcePath, destination.CloudId, destinationPath, bytes, Ms(elapsed),
            Math.Round(bytes / 1e6 / Math.Max(elapsed.TotalSeconds, 1e-6), 1), clients[0].ConnectionInfo.CurrentClientEncryption);
        return new TransferResult(bytes, elapsed, recorder.Files);
    }

    /// <summary>Runs <paramref name="command"/> with its stdin fed by <paramref name="write"/>; a non-zero exit is a transfer failure.</summary>
    private async Task StreamToAsync(SshTarget target, string command, string operation, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        var client = await Connections.GetAsync(target, SetupTimeout, cancellationToken).ConfigureAwait(false);
        using var limit = new CancellationTokenSource(TransferTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        using var cmd = Start(target, client, command, out var exec);
        using var errors = Err(cmd, target);
        using var output = Out(cmd, target);
        var stderr = BoundedRead.ReadAsync(errors, _options.MaxErrorBytes, onOverflow: null);
        var stdout = BoundedRead.ReadAsync(output, _options.MaxErrorBytes, onOverflow: null);
        try
        {
            var input = cmd.CreateInputStream();
            try
            {
                await write(input).WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e) && e is not ObjectDisposedException)
            {
                // The remote side stopped reading; its exit status and stderr below say why.
            }
            finally
            {
                CloseQuietly(input);
            }

            await exec.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            await Abort(cmd, exec).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RemoteShellException(RemoteErrorKind.Timeout, $"{operation} with cloud {target.CloudId} did not finish within {_options.TransferTimeoutSeconds} s.");
        }

        await stdout.ConfigureAwait(false);
        var error = (await stderr.ConfigureAwait(false)).Describe();
        if (cmd.ExitStatus is not 0)
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                SshTargetRules.Redact(target, $"{operation} with cloud {target.CloudId} ({target}) failed (exit {Exit(cmd.ExitStatus)}): {SshErrorClassifier.Summarize(error)}"));
        }
    }

    /// <summary>Runs <paramref name="command"/> and hands its stdout to <paramref name="read"/>; a non-zero exit is a transfer failure.</summary>
    private async Task StreamFromAsync(SshTarget target, string command, string operation, Func<Stream, Task> read, CancellationToken cancellationToken)
    {
        using var lease = await AcquireAsync([target], cancellationToken).ConfigureAwait(false);
        var client = await Connections.GetAsync(target, SetupTimeout, cancellationToken).ConfigureAwait(false);
        using var limit = new CancellationTokenSource(TransferTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        using var cmd = Start(target, client, command, out var exec);
        using var errors = Err(cmd, target);
        using var output = Out(cmd, target);
        var stderr = BoundedRead.ReadAsync(errors, _options.MaxErrorBytes, onOverflow: null);
        try
        {
            await read(output).WaitAsync(linked.Token).ConfigureAwait(false);
            await exec.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            await Abort(cmd, exec).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RemoteShellException(RemoteErrorKind.Timeout, $"{operation} with cloud {target.CloudId} did not finish within {_options.TransferTimeoutSeconds} s.");
        }
        catch (Exception e) when (e is InvalidDataException or UnsafeArchiveException)
        {
            await Abort(cmd, exec).ConfigureAwait(false);
            throw new RemoteShellException(RemoteErrorKind.TransferFailed, $"{operation} from cloud {target.CloudId} refused: {e.Message}", e);
        }

        var error = (await stderr.ConfigureAwait(false)).Describe();
        if (cmd.ExitStatus is not 0)
        {
            throw new RemoteShellException(RemoteErrorKind.TransferFailed,
                SshTargetRules.Redact(target, $"{operation} with cloud {target.CloudId} ({target}) failed (exit {Exit(cmd.ExitStatus)}): {SshErrorClassifier.Summarize(error)}"));
        }
    }

    /// <summary>Only folders and regular files, each inside <paramref name="folder"/>: a hostile cloud's tar must not write anywhere else.</summary>
    private static async Task ExtractAsync(Stream tar, string folder, CancellationToken cancellationToken)
    {
        var root = Directory.CreateDirectory(folder).FullName + Path.DirectorySeparatorChar;
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal) || Path.IsPathRooted(entry.Name))
            {
                throw new UnsafeArchiveException($"'{entry.Name}' lies outside the folder being downloaded");
            }

            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await entry.ExtractToFileAsync(path, overwrite: false, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new UnsafeArchiveException($"'{entry.Name}' is a {entry.EntryType}, not a plain file or folder");
            }
        }

        // Read to the end so the remote tar finishes writing and exits 0.
        await tar.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
    }

    private SshCommand Start(SshTarget target, SshClient client, string command, out Task exec)
    {
        try
        {
            var cmd = client.CreateCommand(command);
            exec = cmd.ExecuteAsync(CancellationToken.None);
            return cmd;
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            Connections.Invalidate(target, client);
            throw SshNetErrors.Map(target, e, null, Connections.ConnectTimeout, _logger);
        }
    }

    private static async Task Abort(SshCommand cmd, Task exec)
    {
        _ = exec.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            // It waits up to the timeout for the server to confirm the signal, so it runs off this thread.
            await Task.Run(() => cmd.CancelAsync(forceKill: true, millisecondsTimeout: 500), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            // Already gone.
        }
    }

    private static void CloseQuietly(Stream input)
    {
        try
        {
            input.Dispose();
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            // The channel closed first: end of input is implied.
        }
    }

    private RemoteShellException CopyFailure(SshTarget target, string action, string path, int? exitCode, string stderr) =>
        new(RemoteErrorKind.TransferFailed,
            SshTargetRules.Redact(target, $"Copy failed while {action} '{path}' on cloud {target.CloudId} (exit {Exit(exitCode)}): {SshErrorClassifier.Summarize(stderr)}"));

    private static string Exit(int? status) => status?.ToString(CultureInfo.InvariantCulture) ?? "signal";

    private TimeSpan TransferTimeout => TimeSpan.FromSeconds(_options.TransferTimeoutSeconds);
}
