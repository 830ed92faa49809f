using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Agents.Ssh;

/// <summary>
/// What both SSH clients refuse before they open anything: a target's fields come from an uploaded CSV, so a bad one
/// is that cloud's configuration error (<see cref="RemoteErrorKind.ClientError"/>), never a crash or an injection.
/// </summary>
internal static class SshTargetRules
{
    public static void Validate(SshTarget target, SshOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        static bool Bad(string s) => string.IsNullOrWhiteSpace(s) || s.StartsWith('-') || s.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '%');
        if (Bad(target.Host))
        {
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"Cloud {target.CloudId}: host '{target.Host}' is not a valid host name or address.");
        }

        if (!SshNames.IsValidUsername(target.Username))
        {
            throw new RemoteShellException(RemoteErrorKind.ClientError,
                $"Cloud {target.CloudId}: user name '{target.Username}' is not valid for ssh ({SshNames.UsernameRule}).");
        }

        if (target.Port is < 1 or > 65535)
        {
            throw new RemoteShellException(RemoteErrorKind.ClientError, $"Cloud {target.CloudId}: port {target.Port} is outside 1-65535.");
        }

        if (!string.IsNullOrEmpty(target.KeyPath))
        {
            KeyFile(target, options, logger);
        }
    }

    /// <summary>
    /// The key file of a target, confined to Ssh:KeyDirectories: a key path comes from an uploaded CSV, and it must not
    /// let an upload point the client at any file the app can read.
    /// </summary>
    public static string KeyFile(SshTarget target, SshOptions options, ILogger logger)
    {
        var folders = options.KeyDirectories.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(f => Path.GetFullPath(f).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar)
            .ToList();
        var full = Path.GetFullPath(target.KeyPath!, folders.Count > 0 ? folders[0] : Environment.CurrentDirectory);
        // The messages reach the Clouds page and the API (a cloud's last error); where keys live stays in the log.
        if (!folders.Any(f => full.StartsWith(f, StringComparison.Ordinal)))
        {
            logger.LogWarning("Cloud {Cloud}: key path {KeyPath} is outside the key folders {Folders}", target.CloudId, target.KeyPath, string.Join(":", folders));
            throw new RemoteShellException(RemoteErrorKind.ClientError,
                $"Cloud {target.CloudId}: its key path is outside the key folders (Ssh:KeyDirectories); see the server log.");
        }

        var info = new FileInfo(full);
        if (!info.Exists || info.LinkTarget is not null)
        {
            logger.LogWarning("Cloud {Cloud}: key file {KeyFile} does not exist or is a link", target.CloudId, full);
            throw new RemoteShellException(RemoteErrorKind.ClientError,
                $"Cloud {target.CloudId}: its key file does not exist in the key folders (Ssh:KeyDirectories), or is a link; see the server log.");
        }

        return full;
    }

    /// <summary>Same cloud, same place, same login name: credentials or pin may differ.</summary>
    public static bool SameEndpoint(SshTarget a, SshTarget b) =>
        a.CloudId == b.CloudId && a.Username == b.Username && a.Host == b.Host && a.Port == b.Port;

    public static string Redact(SshTarget target, string text) =>
        string.IsNullOrEmpty(target.Password) ? text : text.Replace(target.Password, "***", StringComparison.Ordinal);

    /// <summary>One known_hosts identity per cloud and endpoint: two clouds behind one host:port never share a trusted key.</summary>
    public static string HostKeyAlias(SshTarget target)
    {
        var clean = new string(target.CloudId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        if (clean.Length > 40)
        {
            clean = clean[..40];
        }

        return $"gc-{clean}-{Hash($"{target.CloudId}\n{target.Host}\n{target.Port}", 8)}";
    }

    public static string Hash(string text, int hexChars) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..hexChars];
}
