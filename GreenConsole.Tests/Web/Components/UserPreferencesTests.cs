using System.Security.Claims;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Components;

/// <summary>The dark-mode choice is stored on the account (SQLite, through Identity), so it survives a new circuit.</summary>
public sealed class UserPreferencesTests : MudTestContext
{
    public UserPreferencesTests()
    {
        this.AddRealJobServices();
        this.AddRealIdentity();
    }

    [Fact]
    public async Task Dark_mode_is_remembered_per_user_across_scopes()
    {
        await this.MigrateAsync();
        ClaimsPrincipal alice, bob;
        using (var scope = Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            alice = await PrincipalAsync(users, "alice");
            bob = await PrincipalAsync(users, "bob");
            var prefs = scope.ServiceProvider.GetRequiredService<UserPreferences>();
            Assert.Null(await prefs.GetDarkModeAsync(alice, CancellationToken.None));
            await prefs.SetDarkModeAsync(alice, dark: true, CancellationToken.None);
            await prefs.SetDarkModeAsync(alice, dark: true, CancellationToken.None);
        }

        using (var scope = Services.CreateScope())
        {
            var prefs = scope.ServiceProvider.GetRequiredService<UserPreferences>();
            Assert.True(await prefs.GetDarkModeAsync(alice, CancellationToken.None));
            Assert.Null(await prefs.GetDarkModeAsync(bob, CancellationToken.None));
            await prefs.SetDarkModeAsync(alice, dark: false, CancellationToken.None);
            var claims = await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().GetClaimsAsync(
                (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync("alice"))!);
            Assert.Single(claims, c => c.Type == UserPreferences.DarkModeClaim);
        }

        using (var scope = Services.CreateScope())
        {
            Assert.False(await scope.ServiceProvider.GetRequiredService<UserPreferences>().GetDarkModeAsync(alice, CancellationToken.None));
        }
    }

    private static async Task<ClaimsPrincipal> PrincipalAsync(UserManager<IdentityUser> users, string name)
    {
        var user = new IdentityUser(name);
        Assert.True((await users.CreateAsync(user)).Succeeded);
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, name)], "test"));
    }
}
