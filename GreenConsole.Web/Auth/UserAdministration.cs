using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Auth;

public sealed record UserSummary(string Id, string UserName, string Role, bool LockedOut);

/// <summary>User management for administrators; callers are authorised by the Administer policy.</summary>
public sealed class UserAdministration(UserManager<IdentityUser> users, TimeProvider time, ILogger<UserAdministration> logger)
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
        return await users.DeleteAsync(user);
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
