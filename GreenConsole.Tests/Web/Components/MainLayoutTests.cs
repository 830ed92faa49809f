using System.Security.Claims;
using Bunit;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Components.Layout;
using GreenConsole.Web.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Components;

public sealed class MainLayoutTests : MudTestContext
{
    public MainLayoutTests()
    {
        this.AddRealJobServices();
        this.AddRealIdentity();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public async Task The_dark_mode_toggle_is_stored_for_the_user_and_applied_on_the_next_visit()
    {
        await this.MigrateAsync();
        string userId;
        using (var scope = Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var user = new IdentityUser("carol");
            Assert.True((await users.CreateAsync(user)).Succeeded);
            userId = user.Id;
        }

        Authorization.SetAuthorized("carol");
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, userId));
        RenderFragment body = b => b.AddMarkupContent(0, "<p id=\"page-body\">page</p>");

        var first = Render<MainLayout>(p => p.Add(l => l.Body, body));
        Assert.Equal("carol", first.Find("#current-user").TextContent.Trim());
        Assert.NotNull(first.Find("#page-body"));
        Assert.Equal("light", first.Find("#gc-interactive").GetAttribute("data-theme"));

        await first.Find("#dark-mode-toggle").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        first.WaitForAssertion(() => Assert.Equal("dark", first.Find("#gc-interactive").GetAttribute("data-theme")));
        await DisposeComponentsAsync();

        var second = Render<MainLayout>(p => p.Add(l => l.Body, body));
        second.WaitForAssertion(() => Assert.Equal("dark", second.Find("#gc-interactive").GetAttribute("data-theme")));
    }
}
