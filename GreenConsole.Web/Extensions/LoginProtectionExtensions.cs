using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Components.Account;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

/// <summary>
/// Per-address throttling of sign-in attempts. Identity's lockout stops guessing at one account, but not one address
/// trying a few passwords at each of many accounts; this limiter does, and every other request passes untouched.
/// </summary>
public static class LoginProtectionExtensions
{
    public const string LoginPath = "/account/login";

    internal const string RejectionMessage = "Too many sign-in attempts from your address. Wait a minute, then try again.";

    // Requests that are not sign-in attempts all share this partition; no client key is ever empty.
    private const string UnlimitedPartition = "";

    public static WebApplicationBuilder AddGreenConsoleLoginProtection(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<LoginProtectionOptions>(builder.Configuration, LoginProtectionOptions.Section);

        // The limits come from validated options, which exist only once the container does.
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LoginProtectionOptions>, ILoggerFactory>((limiter, login, loggers) =>
        {
            var settings = login.Value;
            var logger = loggers.CreateLogger("GreenConsole.Web.Auth.LoginProtection");
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsSignInAttempt(context)
                    ? RateLimitPartition.GetSlidingWindowLimiter(ClientKey(context.Connection.RemoteIpAddress), _ => new SlidingWindowRateLimiterOptions
                    {
                        PermitLimit = settings.PermitLimit,
                        Window = TimeSpan.FromSeconds(settings.WindowSeconds),
                        // A sliding window, so that a burst at the end of one window and the start of the next
                        // cannot get twice the limit through.
                        SegmentsPerWindow = 6,
                        // Queued attempts would only hold connections open; refuse them at once.
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(UnlimitedPartition));

            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                var http = rejected.HttpContext;
                logger.LogWarning("Sign-in attempt from {Client} refused: more than {Limit} attempts in {WindowSeconds} s",
                    ClientKey(http.Connection.RemoteIpAddress), settings.PermitLimit, settings.WindowSeconds);
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                // Set here as well, because this callback owns the response once it writes the body.
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.ContentType = "text/plain; charset=utf-8";
                return new ValueTask(http.Response.WriteAsync(RejectionMessage, cancellationToken));
            };
        });
        return builder;
    }

    /// <summary>Call before UseAuthentication, so refused attempts cost neither antiforgery checks nor password hashing.</summary>
    public static WebApplication UseGreenConsoleLoginProtection(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRateLimiter();
        return app;
    }

    private static bool IsSignInAttempt(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            return false;
        }

        // Once routing has run, whatever URL reaches the login page counts (routing also accepts "/Account/Login/").
        if (context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type == typeof(Login))
        {
            return true;
        }

        // Without a matched endpoint (the limiter placed before routing) the path alone decides.
        return string.Equals(context.Request.Path.Value?.TrimEnd('/'), LoginPath, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The partition of a client address. Behind a reverse proxy this is the proxy's address unless forwarded headers
    /// are applied first; connections without an address (the test server, Unix sockets) share one partition.
    /// </summary>
    internal static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        // One IPv6 host is normally handed a whole /64; keyed by single addresses it would get 2^64 partitions.
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out _))
        {
            return address.ToString();
        }

        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
