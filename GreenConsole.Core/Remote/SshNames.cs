using System.Text.RegularExpressions;

namespace GreenConsole.Core.Remote;

/// <summary>
/// The one rule for user names that the CSV import accepts and the SSH adapters use: what POSIX and useradd allow
/// (letters, digits, '.', '_', '-', a trailing '$'), never starting with '-'. A name the SSH layer would refuse must
/// be refused at import, with its row, rather than fail every poll afterwards.
/// </summary>
public static partial class SshNames
{
    public const int MaxUsernameLength = 64;

    public static bool IsValidUsername(string? name) =>
        name is { Length: > 0 and <= MaxUsernameLength } && Username().IsMatch(name);

    public const string UsernameRule = "letters, digits, '.', '_' and '-' only (a trailing '$' is allowed), not starting with '-', at most 64 characters";

    [GeneratedRegex(@"^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Username();
}
