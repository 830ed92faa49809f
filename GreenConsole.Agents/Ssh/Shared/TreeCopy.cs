namespace GreenConsole.Agents.Ssh;

/// <summary>
/// Cloud-to-cloud copy as both clients do it: tar on the source, the bytes relayed through the controller's memory
/// (never its disk), tar into a fresh folder beside the destination, then one rename. The controller keeps its own
/// record of every file it relayed (<see cref="TarStreamRecorder"/>).
/// </summary>
internal static class TreeCopy
{
    private const int ChunkBytes = 1024 * 1024;

    public static string PackCommand(string sourcePath)
    {
        var (parent, name) = RemoteQuoting.Split(sourcePath);
        return $"tar -C {RemoteQuoting.QuotePath(parent)} -cf - -- {RemoteQuoting.Quote(name)}";
    }

    /// <summary>Unpacks stdin beside <paramref name="destinationPath"/> and renames it into place; nothing half-written stays.</summary>
    public static string UnpackCommand(string sourcePath, string destinationPath) =>
        UnpackNamed(RemoteQuoting.Split(sourcePath).Name, destinationPath);

    /// <summary>As <see cref="UnpackCommand"/>, for an archive whose one top entry is <paramref name="name"/>.</summary>
    public static string UnpackNamed(string name, string destinationPath)
    {
        var (parent, _) = RemoteQuoting.Split(destinationPath);
        return $"set -e; d={RemoteQuoting.QuotePath(parent)}; mkdir -p -- \"$d\"; t=$(mktemp -d \"$d/.gc-copy.XXXXXX\"); " +
            "trap 'rm -rf -- \"$t\"' EXIT; tar -C \"$t\" -xf -; " +
            $"rm -rf -- {RemoteQuoting.QuotePath(destinationPath)}; mv -- \"$t\"/{RemoteQuoting.Quote(name)} {RemoteQuoting.QuotePath(destinationPath)}";
    }

    /// <summary>
    /// Relays <paramref name="input"/> into <paramref name="output"/> and records it. Two buffers: one chunk is hashed
    /// while it is written and the next is read, so the record costs no time on the copy's path. Throws
    /// <see cref="InvalidDataException"/> or <see cref="UnsafeArchiveException"/> when the stream is refused; a write
    /// that fails (<paramref name="writeFailed"/>) ends the relay early, and the caller reads the reason from the target.
    /// </summary>
    /// <returns>The bytes relayed.</returns>
    public static async Task<long> RelayAsync(Stream input, Stream output, TarStreamRecorder recorder, Func<Exception, bool> writeFailed, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var buffers = new[] { new byte[ChunkBytes], new byte[ChunkBytes] };
        var hashing = Task.CompletedTask;
        try
        {
            int n;
            var i = 0;
            while ((n = await input.ReadAsync(buffers[i], cancellationToken).ConfigureAwait(false)) > 0)
            {
                var chunk = buffers[i].AsMemory(0, n);
                await hashing.ConfigureAwait(false);
                hashing = Task.Run(() => recorder.Append(chunk.Span), CancellationToken.None);
                await output.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                bytes += n;
                i ^= 1;
            }

            await hashing.ConfigureAwait(false);
        }
        catch (Exception e) when (writeFailed(e))
        {
            // The chunk being hashed is waited for, so nothing touches the record after this.
            await hashing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
        }

        return bytes;
    }
}
