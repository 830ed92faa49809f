using System.Text.RegularExpressions;
using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Ssh;

/// <summary>
/// Maps what the OpenSSH client prints on stderr to a <see cref="RemoteErrorKind"/>. Only ssh's own messages are
/// recognised, so that a remote program printing e.g. "Permission denied" for a file is not taken for a login failure.
/// </summary>
internal static partial class SshErrorClassifier
{
    private static readonly string[] HostKeyMarkers =
    [
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Host key verification failed",
        "has changed and you have requested strict checking",
    ];

    private static readonly string[] UnreachableMarkers =
    [
        "Connection refused",
        "No route to host",
        "Could not resolve hostname",
        "Name or service not known",
        "Temporary failure in name resolution",
        "Connection timed out",
        "Operation timed out",
        "Network is unreachable",
        "kex_exchange_identification",
        "banner exchange",
        "Connection reset by",
        "Connection closed by",
    ];

    /// <returns>The kind, or null when the text holds no ssh connection/authentication/trust failure.</returns>
    public static RemoteErrorKind? Classify(string? stderr)
    {
        if (string.IsNullOrEmpty(stderr))
        {
            return null;
        }

        // Host-key problems first: ssh stops before authenticating, and the banner text mentions other things too.
        if (HostKeyMarkers.Any(m => stderr.Contains(m, StringComparison.OrdinalIgnoreCase)))
        {
            return RemoteErrorKind.HostKeyChanged;
        }

        if (AuthFailure().IsMatch(stderr)
            || stderr.Contains("Too many authentication failures", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("No more authentication methods", StringComparison.OrdinalIgnoreCase))
        {
            return RemoteErrorKind.AuthenticationFailed;
        }

        if (UnreachableMarkers.Any(m => stderr.Contains(m, StringComparison.OrdinalIgnoreCase)))
        {
            return RemoteErrorKind.HostUnreachable;
        }

        return null;
    }

    /// <summary>The fingerprint ssh says the host now presents, from its "host identification has changed" banner.</summary>
    public static string? PresentedFingerprint(string? stderr)
    {
        if (string.IsNullOrEmpty(stderr))
        {
            return null;
        }

        var m = PresentedKey().Match(stderr);
        return m.Success ? m.Groups["fp"].Value : null;
    }

    /// <summary>ssh's last meaningful line, without the decorative banner, for error messages.</summary>
    public static string Summarize(string? stderr)
    {
        if (string.IsNullOrWhiteSpace(stderr))
        {
            return "no diagnostic from ssh";
        }

        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('@') && l.Length > 0)
            .ToArray();
        return lines.Length == 0 ? "no diagnostic from ssh" : string.Join(" | ", lines.TakeLast(2));
    }

    // ssh prints "user@host: Permission denied (publickey,password)." — the "(methods)" part keeps remote
    // file errors such as "cat: x: Permission denied" out.
    [GeneratedRegex(@"Permission denied \([a-z0-9,@.\-]+\)", RegexOptions.IgnoreCase)]
    private static partial Regex AuthFailure();

    [GeneratedRegex(@"sent by the remote host is\s+(?<fp>SHA256:[A-Za-z0-9+/=]+?)\.?\s", RegexOptions.IgnoreCase)]
    private static partial Regex PresentedKey();
}
