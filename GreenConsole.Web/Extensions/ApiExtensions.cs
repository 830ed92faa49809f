using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;

namespace GreenConsole.Web.Extensions;

public static class ApiExtensions
{
    /// <summary>HTTP endpoints for automation. Every one checks its policy on the server.</summary>
    public static WebApplication MapGreenConsoleApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").DisableAntiforgery();

        var clouds = api.MapGroup("/clouds");
        clouds.MapGet("/", async (CloudRepository repository, CancellationToken ct) => Results.Ok(await repository.ListAsync(ct)))
            .RequireAuthorization(Policies.Research);

        // The CSV is the request body (text/csv). Cookies are SameSite=Strict, so another site cannot post here on a user's behalf.
        clouds.MapPost("/import", async (HttpRequest request, CloudImportService importer, bool? dryRun, string? mode, CancellationToken ct) =>
            {
                var importMode = mode switch
                {
                    null or "" or "all-or-nothing" => CloudImportMode.AllOrNothing,
                    "valid-only" => CloudImportMode.ValidRowsOnly,
                    _ => (CloudImportMode?)null,
                };
                if (importMode is null)
                {
                    return Results.Problem($"Unknown mode '{mode}': use all-or-nothing or valid-only.", statusCode: StatusCodes.Status400BadRequest);
                }
                var report = await importer.ImportAsync(request.Body, importMode.Value, dryRun ?? false, ct);
                return report.HasFileErrors || (report.Rejected > 0 && !report.Stored && !report.DryRun)
                    ? Results.UnprocessableEntity(report)
                    : Results.Ok(report);
            })
            .RequireAuthorization(Policies.Administer);

        clouds.MapDelete("/{id:int}", async (int id, CloudRepository repository, CancellationToken ct) =>
                await repository.DeleteAsync(id, ct) ? Results.NoContent() : Results.NotFound())
            .RequireAuthorization(Policies.Administer);

        return app;
    }
}
