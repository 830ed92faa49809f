using System.Text;

namespace GreenConsole.Agents.Ssh;

/// <param name="Text">The first bytes read, at most the cap, as UTF-8 (a cut multi-byte character becomes U+FFFD).</param>
/// <param name="TotalBytes">Every byte the stream held, kept or not.</param>
/// <param name="Truncated">The stream held more than the cap.</param>
internal sealed record BoundedText(string Text, long TotalBytes, bool Truncated)
{
    /// <summary>The text, with a note of what was left out when the stream passed its cap.</summary>
    public string Describe() => Truncated ? $"{Text}… ({TotalBytes - Encoding.UTF8.GetByteCount(Text)} more bytes not kept)" : Text;
}

/// <summary>Reads a child's pipe to its end while keeping at most a cap of it in memory.</summary>
internal static class BoundedRead
{
    /// <summary>
    /// Reads <paramref name="stream"/> to its end and keeps its first <paramref name="cap"/> bytes. Past the cap,
    /// <paramref name="onOverflow"/> is called once and reading stops (null: keep reading and discarding, so the writer
    /// is never blocked on a full pipe).
    /// </summary>
    public static async Task<BoundedText> ReadAsync(Stream stream, int cap, Action? onOverflow)
    {
        var kept = new MemoryStream();
        var buffer = new byte[Math.Min(64 * 1024, Math.Max(4096, cap))];
        long total = 0;
        var truncated = false;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                total += n;
                var room = cap - (int)kept.Length;
                if (room > 0)
                {
                    kept.Write(buffer, 0, Math.Min(room, n));
                }

                if (total > cap && !truncated)
                {
                    truncated = true;
                    if (onOverflow is not null)
                    {
                        onOverflow();
                        break;
                    }
                }
            }
        }
        catch (IOException)
        {
            // The process was killed mid-read: what arrived is what there is.
        }
        catch (ObjectDisposedException)
        {
            // Same, once the process object is gone.
        }

        return new BoundedText(Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), total, truncated);
    }
}

/// <summary>Line reads with a length cap: a hostile peer that never sends a newline must not grow one string without end.</summary>
internal sealed class BoundedLineReader(TextReader reader, int maxChars)
{
    private readonly char[] _buffer = new char[8192];
    private int _start;
    private int _end;

    public int MaxChars { get; } = maxChars;

    /// <summary>The next line without its terminator, null at end of stream; <see cref="InvalidDataException"/> past the cap.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        StringBuilder? line = null;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    return line?.ToString();
                }
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var nl = span.IndexOf('\n');
            var take = nl < 0 ? span : span[..nl];
            if ((line?.Length ?? 0) + take.Length > MaxChars)
            {
                throw new InvalidDataException($"A line passed {MaxChars} characters without an end.");
            }

            line ??= new StringBuilder();
            line.Append(take);
            if (nl >= 0)
            {
                _start += nl + 1;
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line.Length--;
                }

                return line.ToString();
            }

            _start = _end;
        }
    }
}
