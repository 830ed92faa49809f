using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Web.Auth;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>User name of the administrator created on first run.</summary>
    [Required, MinLength(1)]
    public string AdminUser { get; set; } = "admin";

    /// <summary>
    /// Password of the first administrator. Read from configuration or the environment (Auth__AdminPassword);
    /// when absent one is generated and printed once to the console.
    /// </summary>
    public string? AdminPassword { get; set; }

    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    [Range(1, 1440)]
    public int LockoutMinutes { get; set; } = 5;

    /// <summary>
    /// How often a signed-in cookie and a live circuit are checked against the user store (security stamp): a
    /// deleted user, or one whose roles changed, is signed out within this time.
    /// </summary>
    [Range(1, 3600)]
    public int RevalidationSeconds { get; set; } = 60;
}
