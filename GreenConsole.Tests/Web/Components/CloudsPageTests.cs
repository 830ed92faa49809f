using Bunit;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Health;
using Microsoft.Extensions.DependencyInjection;
using CloudsPage = GreenConsole.Web.Components.Pages.Clouds;

namespace GreenConsole.Tests.Web.Components;

public sealed class CloudsPageTests : MudTestContext
{
    public CloudsPageTests() => this.AddRealJobServices();

    [Fact]
    public async Task A_researcher_sees_the_clouds_without_the_import_or_admin_buttons()
    {
        Authorization.SetAuthorized("researcher1");
        Authorization.SetPolicies(Policies.Research);
        var clouds = await this.ImportSampleCloudsAsync();

        var cut = RenderWithProviders<CloudsPage>();

        cut.WaitForAssertion(() => Assert.Equal(clouds.Count, cut.FindAll("#clouds-grid tbody tr").Count));
        Assert.Empty(cut.FindAll("#csv-import"));
        Assert.Empty(cut.FindAll("button[aria-label='Delete cloud']"));
        Assert.All(cut.FindAll("[data-state]"), s => Assert.Equal("unknown", s.GetAttribute("data-state")));
    }

    [Fact]
    public async Task An_administrator_gets_the_import_panel_and_a_health_change_arrives_live()
    {
        Authorization.SetAuthorized("admin");
        Authorization.SetPolicies(Policies.Research, Policies.Operate, Policies.Administer);
        var clouds = await this.ImportSampleCloudsAsync();
        var health = Services.GetRequiredService<CloudHealthStore>();

        var cut = RenderWithProviders<CloudsPage>();

        cut.WaitForElement("#csv-import");
        Assert.Equal(clouds.Count, cut.FindAll("button[aria-label='Delete cloud']").Count);
        var first = clouds[0];
        health.Update(new CloudHealth(first.Id, DateTimeOffset.UtcNow, false, null, "SHA256:x", GreenConsole.Core.Remote.RemoteErrorKind.HostKeyChanged, "changed"));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll($"#review-key-{first.Id}")), TimeSpan.FromSeconds(5));
        Assert.Contains("HostKeyChanged", cut.Find($"tr[data-cloud='{first.Id}'] [data-state=unreachable]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_clouds_the_page_says_how_to_add_them()
    {
        Authorization.SetAuthorized("researcher1");
        Authorization.SetPolicies(Policies.Research);
        await this.MigrateAsync();

        var cut = RenderWithProviders<CloudsPage>();

        cut.WaitForAssertion(() => Assert.Contains("upload a CSV", cut.Find("#clouds-empty").TextContent, StringComparison.Ordinal));
    }
}
