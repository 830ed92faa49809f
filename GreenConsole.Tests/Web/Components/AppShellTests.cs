using System.Net;
using GreenConsole.Tests.Support;

namespace GreenConsole.Tests.Web.Components;

/// <summary>The page shell every page is served in: its icon and MudBlazor's assets.</summary>
public sealed class AppShellTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-shell-");

    [Fact]
    public async Task Every_page_names_an_icon_that_is_served_and_loads_MudBlazor()
    {
        await using var app = TestWebApp.Create(_folder);
        using var client = app.CreateClient();

        var login = await client.GetStringAsync(new Uri("/account/login", UriKind.Relative));
        Assert.Contains("rel=\"icon\"", login, StringComparison.Ordinal);
        Assert.Contains("_content/MudBlazor/MudBlazor.min.css", login, StringComparison.Ordinal);

        using var icon = await client.GetAsync(new Uri("/favicon.svg", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);

        using var css = await client.GetAsync(new Uri("/_content/MudBlazor/MudBlazor.min.css", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        using var chart = await client.GetAsync(new Uri("/Components/Widgets/TimeSeriesChart.razor.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
