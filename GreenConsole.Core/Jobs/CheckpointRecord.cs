using System.Text.Json;

namespace GreenConsole.Core.Jobs;

/// <summary>
/// What the controller saw of a checkpoint while it relayed it: each file's size and SHA-256, keyed by its path inside
/// the checkpoint folder. The source's manifest is only the source's claim; the target is checked against this.
/// </summary>
public sealed class CheckpointRecord
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public CheckpointRecord(IReadOnlyDictionary<string, CheckpointRecordFile> files)
    {
        Files = files;
    }

    public IReadOnlyDictionary<string, CheckpointRecordFile> Files { get; }

    public long TotalBytes => Files.Values.Sum(f => f.Size);

    /// <summary>The record of a copied tree whose root folder is <paramref name="checkpoint"/> (entries outside it are refused).</summary>
    public static CheckpointRecord FromCopiedTree(string checkpoint, IEnumerable<Remote.CopiedFile> files)
    {
        var prefix = checkpoint.TrimEnd('/') + "/";
        var map = new Dictionary<string, CheckpointRecordFile>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            if (!f.Path.StartsWith(prefix, StringComparison.Ordinal) || f.Path.Length == prefix.Length)
            {
                throw new InvalidDataException($"The copied tree of {checkpoint} holds '{f.Path}', outside the checkpoint folder.");
            }

            if (!map.TryAdd(f.Path[prefix.Length..], new CheckpointRecordFile(f.Size, f.Sha256)))
            {
                throw new InvalidDataException($"The copied tree of {checkpoint} holds '{f.Path}' twice.");
            }
        }

        return new CheckpointRecord(map);
    }

    /// <summary>
    /// Differences between this record and the hashes the target reports, one line per file; empty when they agree.
    /// Files the helper writes on the target after the copy (its .verified marker) are not part of the checkpoint.
    /// </summary>
    public IReadOnlyList<string> Compare(IReadOnlyDictionary<string, string>? target)
    {
        if (target is null)
        {
            return ["the target reported no file hashes"];
        }

        var problems = new List<string>();
        foreach (var (path, file) in Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (path == VerifiedMarker)
            {
                continue;
            }

            if (!target.TryGetValue(path, out var sha))
            {
                problems.Add($"{path}: copied by the controller ({file.Size} bytes) but not verified on the target");
            }
            else if (!string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{path}: sha256 on the target {sha}, the controller copied {file.Sha256}");
            }
        }

        foreach (var path in target.Keys.Where(p => !Files.ContainsKey(p)).Order(StringComparer.Ordinal))
        {
            problems.Add($"{path}: on the target but never copied by the controller");
        }

        return problems;
    }

    public const string VerifiedMarker = ".verified";

    public string ToJson() => JsonSerializer.Serialize(Files.ToDictionary(f => f.Key, f => new[] { f.Value.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), f.Value.Sha256 }), Json);

    public static CheckpointRecord? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        var raw = JsonSerializer.Deserialize<Dictionary<string, string[]>>(json, Json) ?? [];
        return new CheckpointRecord(raw.ToDictionary(
            r => r.Key,
            r => new CheckpointRecordFile(long.Parse(r.Value[0], System.Globalization.CultureInfo.InvariantCulture), r.Value[1]),
            StringComparer.Ordinal));
    }
}

public sealed record CheckpointRecordFile(long Size, string Sha256);
