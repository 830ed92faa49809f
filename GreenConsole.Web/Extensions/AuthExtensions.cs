using GreenConsole.Web.Auth;
using GreenConsole.Web.Data;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

public static class AuthExtensions
{
    public static WebApplicationBuilder AddGreenConsoleAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<AuthOptions>(builder.Configuration, AuthOptions.Section);

        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddIdentity<IdentityUser, IdentityRole>(o =>
            {
                // Length over composition rules, as NIST SP 800-63B recommends.
                o.Password.RequiredLength = 10;
                o.Password.RequiredUniqueChars = 4;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
                o.User.RequireUniqueEmail = false;
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<GreenConsoleDbContext>()
            .AddDefaultTokenProviders();

        // Login throttling is Identity's lockout, sized from our own validated options.
        services.AddOptions<IdentityOptions>().Configure<IOptions<AuthOptions>>((identity, auth) =>
        {
            identity.Lockout.MaxFailedAccessAttempts = auth.Value.MaxFailedAttempts;
            identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(auth.Value.LockoutMinutes);
        });

        // Cookies are checked against the store as often as circuits are (Identity's default is 30 minutes).
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<AuthOptions>>((stamp, auth) =>
            stamp.ValidationInterval = TimeSpan.FromSeconds(auth.Value.RevalidationSeconds));

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "GreenConsole.Auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the app is reached over HTTPS (directly or behind a proxy that says so).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            // API callers get status codes, not a login page. The events object is Identity's: replacing it would drop
            // its security-stamp check, and with it the sign-out of deleted users.
            o.Events.OnRedirectToLogin = ctx => ApiAware(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, StatusCodes.Status403Forbidden);
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Research, p => p.RequireRole(Roles.Researcher, Roles.Operator, Roles.Admin))
            .AddPolicy(Policies.Operate, p => p.RequireRole(Roles.Operator, Roles.Admin))
            .AddPolicy(Policies.Administer, p => p.RequireRole(Roles.Admin));

        services.AddScoped<AdminBootstrapper>();
        services.AddScoped<UserAdministration>();
        return builder;
    }

    private static Task ApiAware(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
        }
        else
        {
            ctx.Response.Redirect(ctx.RedirectUri);
        }
        return Task.CompletedTask;
    }

    public static WebApplication MapGreenConsoleAccountEndpoints(this WebApplication app)
    {
        app.MapPost("/account/logout", async (SignInManager<IdentityUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login");
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());
        return app;
    }
}
