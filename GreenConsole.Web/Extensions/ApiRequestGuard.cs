namespace GreenConsole.Web.Extensions;

/// <summary>
/// CSRF protection for the API. SameSite=Strict does not cover another port of the same host (same site), so every
/// unsafe request must carry <see cref="HeaderName"/> (a custom header: no form or simple cross-origin request can
/// send one without a CORS preflight, which this app never grants) and, where the browser sends an Origin, come from
/// this app's own origin.
/// </summary>
internal sealed class ApiRequestGuard(ILogger<ApiRequestGuard> logger) : IEndpointFilter
{
    public const string HeaderName = "X-GreenConsole-Request";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return await next(context);
        }

        var problem = Check(request);
        if (problem is not null)
        {
            logger.LogWarning("Refused {Method} {Path} from origin {Origin}: {Problem}", request.Method, request.Path.Value, request.Headers.Origin.ToString(), problem);
            return Results.Problem(problem, statusCode: StatusCodes.Status403Forbidden);
        }

        return await next(context);
    }

    internal static string? Check(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            var own = $"{request.Scheme}://{request.Host.Value}";
            if (!string.Equals(origin, own, StringComparison.OrdinalIgnoreCase))
            {
                return $"Cross-origin request from {origin} refused; the API answers only {own}.";
            }
        }

        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
        {
            return $"Request from another site ({site}) refused.";
        }

        if (request.Headers[HeaderName].ToString().Length == 0)
        {
            return $"Missing the {HeaderName} header that every state-changing API request must carry (any value, e.g. '{HeaderName}: 1').";
        }

        return null;
    }
}
