using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Auth;

/// <summary>Creates the roles, and the first administrator when no user exists yet.</summary>
public sealed class AdminBootstrapper(
    UserManager<IdentityUser> users,
    RoleManager<IdentityRole> roles,
    IOptions<AuthOptions> options,
    ILogger<AdminBootstrapper> logger)
{
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        foreach (var role in Roles.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await roles.RoleExistsAsync(role))
            {
                Throw(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        if (users.Users.Any())
        {
            return;
        }

        var configured = options.Value.AdminPassword;
        var password = string.IsNullOrEmpty(configured) ? GeneratePassword() : configured;
        var admin = new IdentityUser(options.Value.AdminUser) { EmailConfirmed = true };
        Throw(await users.CreateAsync(admin, password), "create the first administrator (check Auth:AdminPassword meets the password rules)");
        Throw(await users.AddToRolesAsync(admin, Roles.All), "grant the administrator its roles");

        if (string.IsNullOrEmpty(configured))
        {
            // Printed straight to the console, once, and deliberately not through the logger so it never lands in log sinks.
            Console.WriteLine();
            Console.WriteLine("================================================================");
            Console.WriteLine($" GreenConsole created the administrator '{admin.UserName}'.");
            Console.WriteLine($" Its generated password (shown only now): {password}");
            Console.WriteLine(" Set Auth__AdminPassword before the first run to choose it instead.");
            Console.WriteLine("================================================================");
            Console.WriteLine();
        }
        logger.LogInformation("Created the first administrator {User}", admin.UserName);
    }

    internal static string GeneratePassword()
    {
        // 18 random bytes in URL-safe base64 give 24 characters; the suffix satisfies Identity's character classes.
        var core = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
        return core + "-A1a";
    }

    private static void Throw(IdentityResult result, string action)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {action}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }
    }
}
