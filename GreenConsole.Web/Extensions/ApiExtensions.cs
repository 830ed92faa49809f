using GreenConsole.Web.Auth;
using System.Text;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Reports;

namespace GreenConsole.Web.Extensions;

public static class ApiExtensions
{
    /// <summary>HTTP endpoints for automation. Every one checks its policy on the server.</summary>
    public static WebApplication MapGreenConsoleApi(this WebApplication app)
    {
        // Form antiforgery tokens do not fit API clients; ApiRequestGuard takes their place for every unsafe method.
        var api = app.MapGroup("/api").DisableAntiforgery().AddEndpointFilter<ApiRequestGuard>();

        var clouds = api.MapGroup("/clouds");
        clouds.MapGet("/", async (HttpContext http, CloudRepository repository, CancellationToken ct) =>
            {
                var all = await repository.ListAsync(ct);
                // Where a key lives on the controller is an administrator's business only.
                return Results.Ok(http.User.IsInRole(Roles.Admin) ? all : all.Select(c => c with { KeyPath = null }).ToList());
            })
            .RequireAuthorization(Policies.Research);

        // The CSV is the request body, and only as text/csv: a cross-site form can send text/plain, never text/csv.
        clouds.MapPost("/import", async (HttpRequest request, CloudImportService importer, bool? dryRun, string? mode, CancellationToken ct) =>
            {
                if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
                    || !string.Equals(type.MediaType.Value, "text/csv", StringComparison.OrdinalIgnoreCase))
                {
                    return Results.Problem($"Send the CSV with Content-Type: text/csv (got '{request.ContentType}').",
                        statusCode: StatusCodes.Status415UnsupportedMediaType);
                }

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

        clouds.MapDelete("/{id:int}", async (int id, CloudRemoval removal, CancellationToken ct) =>
                await removal.DeleteAsync(id, ct) ? Results.NoContent() : Results.NotFound())
            .RequireAuthorization(Policies.Administer);

        var jobs = api.MapGroup("/jobs").RequireAuthorization(Policies.Research);
        jobs.MapGet("/", (JobStore store) => Results.Ok(store.Jobs));
        jobs.MapPost("/", async (JobStartRequest request, JobService service, CancellationToken ct) =>
            await Guard(async () => Results.Ok(await service.StartAsync(request, ct))));
        jobs.MapPost("/{id}/migrate", async (string id, int to, JobService service, CancellationToken ct) =>
            await Guard(async () => Results.Accepted(value: new { migration = await service.MigrateAsync(id, to, ct) })));
        jobs.MapPost("/{id}/pause", async (string id, JobService service, CancellationToken ct) => await Guard(async () => { await service.PauseAsync(id, ct); return Results.Accepted(); }));
        jobs.MapPost("/{id}/resume", async (string id, JobService service, CancellationToken ct) => await Guard(async () => { await service.ResumeAsync(id, ct); return Results.Accepted(); }));
        jobs.MapPost("/{id}/cancel", async (string id, JobService service, CancellationToken ct) => await Guard(async () => { await service.CancelAsync(id, ct); return Results.Accepted(); }));
        jobs.MapGet("/{id}/report", async (string id, string? format, JobReportBuilder reports, CancellationToken ct) =>
        {
            var report = await reports.BuildAsync(id, ct);
            if (report is null)
            {
                return Results.NotFound();
            }
            return format switch
            {
                null or "" or "json" => Results.File(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(report, ReportJson)), "application/json", $"job-{id}.json"),
                "csv" => Results.File(Encoding.UTF8.GetBytes(JobReportBuilder.ToCsv(report)), "text/csv", $"job-{id}.csv"),
                _ => Results.Problem($"Unknown format '{format}': use csv or json.", statusCode: StatusCodes.Status400BadRequest),
            };
        });

        // Server time of Blazor circuit interactions (issue #5: p95 under 50 ms); for operators and benchmarks.
        api.MapGet("/diagnostics/circuits", (GreenConsole.Web.Live.CircuitActivityMetrics metrics) =>
            {
                var s = metrics.Snapshot();
                return Results.Ok(new { s.Count, s.Window, s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs, s.OpenCircuits, Pages = metrics.Pages() });
            })
            .RequireAuthorization(Policies.Administer);

        var reports = api.MapGroup("/reports").RequireAuthorization(Policies.Research);
        reports.MapGet("/clouds", async (string? format, FleetReports fleet, CancellationToken ct) =>
            Export(await fleet.CloudsAsync(ct), format, "clouds"));
        reports.MapGet("/carbon", async (DateTimeOffset? from, DateTimeOffset? to, string? format, FleetReports fleet, TimeProvider time, CancellationToken ct) =>
        {
            var end = to ?? time.GetUtcNow();
            return Export(await fleet.CarbonAsync(from ?? end.AddDays(-1), end, ct), format, "carbon");
        });

        return app;
    }

    private static IResult Export<T>(IReadOnlyList<T> rows, string? format, string name) => format switch
    {
        null or "" or "json" => Results.File(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(rows, ReportJson)), "application/json", $"{name}.json"),
        "csv" => Results.File(Encoding.UTF8.GetBytes(FleetReports.ToCsv(rows)), "text/csv", $"{name}.csv"),
        _ => Results.Problem($"Unknown format '{format}': use csv or json.", statusCode: StatusCodes.Status400BadRequest),
    };

    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>Maps the service's "not now" answers (unknown job, wrong state) to 409 with the reason.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ArgumentException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (InvalidOperationException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
        catch (GreenConsole.Core.Remote.RemoteShellException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
