using System.Security.Claims;
using Microsoft.AspNetCore.Identity;

namespace GreenConsole.Web.Auth;

/// <summary>
/// A user's display settings, kept as claims on their account, so a choice follows the user to every browser and
/// survives a restart (a cookie or local storage would stay on one machine).
/// </summary>
public sealed class UserPreferences(UserManager<IdentityUser> users, ILogger<UserPreferences> logger)
{
    public const string DarkModeClaim = "greenconsole:dark-mode";

    /// <summary>Null when the user never chose (the layout then follows the browser's preference).</summary>
    public async Task<bool?> GetDarkModeAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var user = await users.GetUserAsync(principal).ConfigureAwait(false);
        if (user is null)
        {
            return null;
        }

        var claim = (await users.GetClaimsAsync(user).ConfigureAwait(false)).FirstOrDefault(c => c.Type == DarkModeClaim);
        return claim is null ? null : bool.TryParse(claim.Value, out var dark) && dark;
    }

    public async Task SetDarkModeAsync(ClaimsPrincipal principal, bool dark, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var user = await users.GetUserAsync(principal).ConfigureAwait(false);
        if (user is null)
        {
            return;
        }

        var value = dark ? "true" : "false";
        var existing = (await users.GetClaimsAsync(user).ConfigureAwait(false)).Where(c => c.Type == DarkModeClaim).ToList();
        if (existing.Count == 1 && existing[0].Value == value)
        {
            return;
        }

        if (existing.Count > 0)
        {
            await users.RemoveClaimsAsync(user, existing).ConfigureAwait(false);
        }

        var result = await users.AddClaimAsync(user, new Claim(DarkModeClaim, value)).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            logger.LogWarning("Could not store the dark-mode choice of {User}: {Errors}", user.UserName, string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
