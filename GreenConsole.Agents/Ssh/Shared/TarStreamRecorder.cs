using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Ssh;

/// <summary>
/// Reads a tar stream as it is relayed from one cloud to another and records each regular file's path, size and
/// SHA-256: the controller's own record of what it copied. It refuses what a checkpoint never holds (links, devices,
/// absolute or parent paths), so a hostile source cannot plant a link that the target's tar would follow.
/// </summary>
internal sealed class TarStreamRecorder
{
    /// <summary>No checkpoint file comes near this; a larger size is a malformed or hostile header.</summary>
    internal const long MaxEntryBytes = 4L << 40;

    private const int MaxMetaBytes = 64 * 1024;

    private const int Block = 512;
    private readonly byte[] _header = new byte[Block];
    private readonly List<CopiedFile> _files = [];
    private int _headerFill;
    private long _remaining;   // bytes of the current entry's data still to come
    private long _padding;     // bytes of block padding after the data
    private IncrementalHash? _hash;
    private string? _name;
    private long _size;
    private string? _longName;
    private string? _paxPath;
    private MemoryStream? _meta; // the data of a GNU long-name or pax header entry
    private char _metaType;
    private int _zeroBlocks;

    public IReadOnlyList<CopiedFile> Files => _files;

    /// <summary>True once the two zero blocks that end an archive were read.</summary>
    public bool Ended => _zeroBlocks >= 2;

    /// <summary>
    /// Feeds the next bytes of the stream; throws <see cref="UnsafeArchiveException"/> on what a checkpoint may not hold
    /// and <see cref="InvalidDataException"/> on a stream that is not a well-formed tar.
    /// </summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_remaining > 0)
            {
                var n = (int)Math.Min(_remaining, data.Length);
                if (_meta is not null)
                {
                    _meta.Write(data[..n]);
                }
                else
                {
                    _hash!.AppendData(data[..n]);
                }

                _remaining -= n;
                data = data[n..];
                if (_remaining == 0)
                {
                    EndEntry();
                }

                continue;
            }

            if (_padding > 0)
            {
                var n = (int)Math.Min(_padding, data.Length);
                _padding -= n;
                data = data[n..];
                continue;
            }

            var take = Math.Min(Block - _headerFill, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            data = data[take..];
            if (_headerFill == Block)
            {
                _headerFill = 0;
                ReadHeader();
            }
        }
    }

    private void ReadHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            _zeroBlocks++;
            return;
        }

        if (Ended)
        {
            throw new InvalidDataException("The copied archive has data after its end.");
        }

        _zeroBlocks = 0;
        if (!ChecksumMatches())
        {
            throw new InvalidDataException("The copied archive has a header with a wrong checksum (not a tar stream).");
        }

        var type = (char)_header[156];
        var size = ReadOctal(124, 12);
        if (size is < 0 or > MaxEntryBytes)
        {
            throw new InvalidDataException($"The copied archive has an entry of {size} bytes.");
        }

        var name = Text(0, 100);
        // Only POSIX ustar ("ustar\0" "00") has a name prefix at 345; GNU's "ustar  " keeps times there.
        if (_header.AsSpan(257, 8).SequenceEqual("ustar\000"u8))
        {
            var prefix = Text(345, 155);
            if (prefix.Length > 0)
            {
                name = prefix + "/" + name;
            }
        }

        switch (type)
        {
            case 'L' or 'x' or 'g':
                if (size > MaxMetaBytes)
                {
                    throw new InvalidDataException($"The copied archive has a {size}-byte extended header.");
                }

                _meta = new MemoryStream();
                _metaType = type;
                Begin(size);
                return;
            case '5':
                Take(name);
                Begin(0);
                return;
            case '0' or '\0' or '7':
                _name = Take(name);
                _size = size;
                _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                Begin(size);
                return;
            default:
                throw new UnsafeArchiveException(
                    $"The copied checkpoint holds '{Take(name)}', a {Describe(type)}; a checkpoint holds only files and folders.");
        }
    }

    private string Take(string headerName)
    {
        var name = _paxPath ?? _longName ?? headerName;
        _paxPath = null;
        _longName = null;
        name = name.TrimEnd('/');
        if (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        if (name.Length == 0 || name.StartsWith('/') || name.Split('/').Any(p => p is ".." or ""))
        {
            throw new UnsafeArchiveException($"The copied archive names '{name}', a path outside the copied folder.");
        }

        return name;
    }

    private void Begin(long size)
    {
        _remaining = size;
        _padding = (Block - size % Block) % Block;
        if (size == 0)
        {
            EndEntry();
        }
    }

    private void EndEntry()
    {
        if (_meta is not null)
        {
            var text = Encoding.UTF8.GetString(_meta.ToArray());
            if (_metaType == 'L')
            {
                _longName = text.TrimEnd('\0');
            }
            else if (_metaType is 'x' or 'g')
            {
                var path = PaxRecords(text);
                if (_metaType == 'x')
                {
                    _paxPath = path;
                }
            }

            _meta = null;
            return;
        }

        if (_hash is not null)
        {
            _files.Add(new CopiedFile(_name!, _size, Convert.ToHexStringLower(_hash.GetHashAndReset())));
            _hash.Dispose();
            _hash = null;
        }
    }

    /// <summary>
    /// The path a pax header sets. Any record that would make the target's tar read the entry differently from this
    /// recorder (a size, a link target) is refused, so the record and the extracted tree cannot disagree.
    /// </summary>
    private static string? PaxRecords(string records)
    {
        string? path = null;
        // Records are "<len> key=value\n".
        foreach (var line in records.Split('\n'))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (space <= 0 || eq < space)
            {
                continue;
            }

            var key = line[(space + 1)..eq];
            var value = line[(eq + 1)..];
            if (key == "path")
            {
                path = value;
            }
            else if (key is "size" or "linkpath" or "GNU.sparse.size" or "GNU.sparse.map" or "GNU.sparse.realsize" || key.StartsWith("GNU.sparse", StringComparison.Ordinal))
            {
                throw new UnsafeArchiveException($"The copied archive has a pax '{key}' record, which a checkpoint copy does not use.");
            }
        }

        return path;
    }

    private bool ChecksumMatches()
    {
        var stored = ReadOctal(148, 8);
        long sum = 0;
        for (var i = 0; i < Block; i++)
        {
            sum += i is >= 148 and < 156 ? (byte)' ' : _header[i];
        }

        return sum == stored;
    }

    private long ReadOctal(int offset, int length)
    {
        var field = _header.AsSpan(offset, length);
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256 for sizes of 8 GiB and more: positive (0x80), and small enough for a long.
            if (field[0] != 0x80 || field[1..^7].IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new InvalidDataException("The copied archive has a header number out of range.");
            }

            long v = 0;
            foreach (var b in field[^7..])
            {
                v = (v << 8) | b;
            }

            return v;
        }

        var text = Encoding.ASCII.GetString(field).Trim('\0', ' ');
        if (text.Length == 0)
        {
            return 0;
        }

        try
        {
            return Convert.ToInt64(text, 8);
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"The copied archive has a malformed number '{text}' in a header.");
        }
    }

    private string Text(int offset, int length)
    {
        var field = _header.AsSpan(offset, length);
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static string Describe(char type) => type switch
    {
        '1' => "hard link",
        '2' => "symbolic link",
        '3' => "character device",
        '4' => "block device",
        '6' => "named pipe",
        _ => string.Create(CultureInfo.InvariantCulture, $"tar entry of type '{type}'"),
    };
}

/// <summary>What the archive holds would be unsafe on the target (a link, a device, a path outside the folder): no copy can fix it.</summary>
internal sealed class UnsafeArchiveException(string message) : Exception(message);
