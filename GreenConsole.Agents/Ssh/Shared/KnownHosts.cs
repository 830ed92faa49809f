using System.Security.Cryptography;

namespace GreenConsole.Agents.Ssh;

/// <summary>Reads and edits the app's own known_hosts file (written unhashed, one HostKeyAlias per cloud).</summary>
internal static class KnownHosts
{
    public sealed record Entry(string Host, string KeyType, string KeyBase64)
    {
        public string Fingerprint => FingerprintOf(KeyBase64);
    }

    /// <summary>OpenSSH's SHA256 fingerprint: unpadded base64 of the SHA-256 of the key blob.</summary>
    public static string FingerprintOf(string keyBase64)
    {
        var hash = SHA256.HashData(Convert.FromBase64String(keyBase64));
        return "SHA256:" + Convert.ToBase64String(hash).TrimEnd('=');
    }

    public static bool SameFingerprint(string a, string b)
    {
        static string Norm(string s)
        {
            s = s.Trim();
            if (s.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase))
            {
                s = s[7..];
            }

            return s.TrimEnd('=');
        }

        // Base64 is case-sensitive, so compare ordinally after removing the prefix/padding variants.
        return string.Equals(Norm(a), Norm(b), StringComparison.Ordinal);
    }

    /// <summary>Parses "host[,host2] keytype base64 [comment]" lines (as known_hosts and ssh-keyscan print them).</summary>
    public static IReadOnlyList<Entry> Parse(IEnumerable<string> lines)
    {
        var result = new List<Entry>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('@'))
            {
                continue;
            }

            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3 || !IsBase64(parts[2]))
            {
                continue;
            }

            foreach (var host in parts[0].Split(','))
            {
                result.Add(new Entry(host, parts[1], parts[2]));
            }
        }

        return result;
    }

    public static IReadOnlyList<Entry> Read(string file, string host) =>
        File.Exists(file)
            ? Parse(File.ReadAllLines(file)).Where(e => string.Equals(e.Host, host, StringComparison.Ordinal)).ToList()
            : [];

    /// <summary>Replaces every entry of <paramref name="host"/> by one trusted key (atomic rename).</summary>
    public static void Replace(string file, string host, Entry trusted)
    {
        var kept = File.Exists(file)
            ? File.ReadAllLines(file).Where(l => !BelongsTo(l, host)).ToList()
            : [];
        kept.Add($"{host} {trusted.KeyType} {trusted.KeyBase64}");
        var tmp = file + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllLines(tmp, kept);
        OpenSshRemoteShell.RestrictToOwner(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, file, overwrite: true);
    }

    private static bool BelongsTo(string line, string host)
    {
        var first = line.TrimStart().Split([' ', '\t'], 2)[0];
        return first.Split(',').Contains(host, StringComparer.Ordinal);
    }

    private static bool IsBase64(string s)
    {
        Span<byte> buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }
}
