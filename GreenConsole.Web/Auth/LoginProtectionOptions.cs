using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Web.Auth;

/// <summary>
/// Settings under <c>Auth:LoginRateLimit</c>: how many sign-in attempts (POSTs of /account/login) one client address
/// may make per window. Identity's lockout guards each account; this guards against one address trying many accounts.
/// </summary>
public sealed class LoginProtectionOptions
{
    public const string Section = "Auth:LoginRateLimit";

    /// <summary>
    /// Attempts per window and address. Generous enough for a lab sharing one NAT address and for the browser tests,
    /// which sign in about ten times from 127.0.0.1; still far too few for guessing passwords.
    /// </summary>
    [Range(1, 100_000)]
    public int PermitLimit { get; set; } = 20;

    /// <summary>Length of the sliding window in seconds.</summary>
    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 60;
}
