using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Auth;

public sealed record UserSummary(string Id, string UserName, string Role, bool LockedOut);

/// <summary>User management for administrators; callers are authorised by the Administer policy.</summary>
public sealed class UserAdministration(
    UserManager<IdentityUser> users, Terminals.TerminalSessionManager terminals, TimeProvider time, ILogger<UserAdministration> logger)
{
    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var all = await users.Users.OrderBy(u => u.UserName).ToListAsync(cancellationToken);
        var result = new List<UserSummary>(all.Count);
        foreach (var user in all)
        {
            var roles = await users.GetRolesAsync(user);
            result.Add(new UserSummary(user.Id, user.UserName ?? "", HighestRole(roles), user.LockoutEnd > time.GetUtcNow()));
        }
        return result;
    }

    /// <summary>Creates a user with one role; a higher role includes the lower ones.</summary>
    public async Task<IdentityResult> CreateAsync(string userName, string password, string role, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Roles.All.Contains(role))
        {
            return IdentityResult.Failed(new IdentityError { Code = "role", Description = $"Unknown role '{role}'." });
        }
        var user = new IdentityUser(userName.Trim());
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return created;
        }

        terminals.AllowUser(user.UserName!);
        var roles = RolesUpTo(role);
        var added = await users.AddToRolesAsync(user, roles);
        if (added.Succeeded)
        {
            logger.LogInformation("User {User} created with roles {Roles}", user.UserName, string.Join(",", roles));
        }

        return added;
    }

    public async Task<IdentityResult> DeleteAsync(string userId, string currentUserName, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return IdentityResult.Failed(new IdentityError { Code = "missing", Description = "No such user." });
        }
        if (string.Equals(user.UserName, currentUserName, StringComparison.Ordinal))
        {
            return IdentityResult.Failed(new IdentityError { Code = "self", Description = "You cannot delete your own account." });
        }
        // A new stamp first: every cookie and circuit of this user fails its next revalidation, even if the delete
        // below were undone. Then the user's terminals go at once, since they run commands on clouds.
        await users.UpdateSecurityStampAsync(user);
        var deleted = await users.DeleteAsync(user);
        if (deleted.Succeeded)
        {
            await terminals.CloseForUserAsync(user.UserName!, "user deleted");
            logger.LogInformation("User {User} deleted by {Admin}; sessions end within the revalidation interval", user.UserName, currentUserName);
        }

        return deleted;
    }

    public static IReadOnlyList<string> RolesUpTo(string role) => role switch
    {
        Roles.Admin => Roles.All,
        Roles.Operator => [Roles.Researcher, Roles.Operator],
        _ => [Roles.Researcher],
    };

    private static string HighestRole(IList<string> roles) =>
        roles.Contains(Roles.Admin) ? Roles.Admin : roles.Contains(Roles.Operator) ? Roles.Operator : roles.Contains(Roles.Researcher) ? Roles.Researcher : "(none)";
}
