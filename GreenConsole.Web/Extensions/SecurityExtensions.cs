using GreenConsole.Web.Dashboard;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

public static class SecurityExtensions
{
    public static WebApplicationBuilder AddGreenConsoleSecurity(this WebApplicationBuilder builder)
    {
        // Every background service catches its own failures; should one still escape, the console stays up for the
        // other clouds and jobs instead of exiting (and exiting again at every restart that meets the same cloud).
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = false;
        });
        return builder;
    }

    /// <summary>Response headers of every answer; HSTS only over HTTPS (the middleware skips plain HTTP and localhost).</summary>
    public static WebApplication UseGreenConsoleSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        var policy = ContentSecurityPolicy(app.Services.GetRequiredService<IOptions<MapOptions>>().Value.TileUrl);
        app.Use(async (context, next) =>
        {
            // Set as the answer starts, so that no later component (antiforgery, static files) adds a second copy.
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.XFrameOptions = "DENY";
                headers.ContentSecurityPolicy = policy;
                return Task.CompletedTask;
            });
            await next(context);
        });
        return app;
    }

    /// <summary>
    /// Scripts only from the app itself. Styles need 'unsafe-inline': Blazor's reconnect UI, xterm.js and Leaflet set
    /// inline styles; a style cannot run code. Images also from data: (Leaflet) and the configured tile server.
    /// </summary>
    internal static string ContentSecurityPolicy(string? tileUrl)
    {
        var tiles = Uri.TryCreate(tileUrl?.Replace("{s}", "a", StringComparison.Ordinal), UriKind.Absolute, out var u)
            ? " " + u.GetLeftPart(UriPartial.Authority).Replace("//a.", "//*.", StringComparison.Ordinal)
            : string.Empty;
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:" + tiles +
               "; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }
}
