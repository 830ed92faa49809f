using GreenConsole.Web.Components;

namespace GreenConsole.Web.Extensions;

public static class GreenConsoleExtensions
{
    public static WebApplicationBuilder AddGreenConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        return builder;
    }

    public static WebApplication UseGreenConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
