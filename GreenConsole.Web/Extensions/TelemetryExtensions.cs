using System.Text.Json;
using System.Text.Json.Serialization;
using GreenConsole.Agents;
using GreenConsole.Core.Carbon;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Scheduling;
using GreenConsole.Web.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Extensions;

public static class TelemetryExtensions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Carbon providers, hardware probe, the live <see cref="TelemetryStore"/>, the SQLite writer, queries and the
    /// poll and retention jobs (sections "Telemetry", "Carbon", "Probes").
    /// </summary>
    public static WebApplicationBuilder AddGreenConsoleTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddGreenConsoleTelemetryServices(builder.Configuration);
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryWriter>());
        services.AddRecurringJob<HardwarePollJob>("telemetry-hardware",
            sp => sp.GetRequiredService<IOptions<TelemetryOptions>>().Value.HardwareTick);
        services.AddRecurringJob<CarbonPollJob>("telemetry-carbon",
            sp => TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value.CarbonIntervalSeconds));
        services.AddRecurringJob<TelemetryRetentionJob>("telemetry-retention",
            sp => TimeSpan.FromMinutes(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value.RetentionIntervalMinutes), startImmediately: false);
        return builder;
    }

    /// <summary>
    /// The telemetry services without hosting or jobs (the CLI benchmark and tests use this). Needs persistence,
    /// the cloud registry and an <see cref="Core.Remote.IRemoteShell"/>. Start <see cref="TelemetryWriter"/> yourself.
    /// </summary>
    public static IServiceCollection AddGreenConsoleTelemetryServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddGreenConsoleCarbon(configuration);
        services.AddGreenConsoleProbes(configuration);
        services.AddValidatedOptions<TelemetryOptions>(configuration, TelemetryOptions.Section);
        services.TryAddSingleton<TelemetryStore>();
        services.TryAddSingleton<TelemetryWriter>();
        services.TryAddSingleton<TelemetryPoller>();
        services.TryAddSingleton<TelemetryRetention>();
        services.TryAddSingleton<TelemetryQueries>();
        return services;
    }

    /// <summary>JSON endpoints under /api/telemetry, all behind the research policy.</summary>
    public static WebApplication MapGreenConsoleTelemetryApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/telemetry").RequireAuthorization(Policies.Research);

        api.MapGet("/live", (TelemetryStore store) => Results.Json(store.All.Select(TelemetryApiModels.Live), Json));

        api.MapGet("/live/{cloudId:int}", (int cloudId, int? windowSeconds, TelemetryStore store) =>
            store.Get(cloudId) is { } snapshot
                ? Results.Json(new
                {
                    cloud = TelemetryApiModels.Live(snapshot),
                    history = store.History(cloudId, windowSeconds is > 0 ? TimeSpan.FromSeconds(windowSeconds.Value) : null),
                }, Json)
                : Results.NotFound());

        api.MapGet("/series/{cloudId:int}", async (int cloudId, DateTimeOffset? from, DateTimeOffset? to, SeriesResolution? resolution,
            TelemetryQueries queries, TimeProvider time, CancellationToken ct) =>
        {
            var (start, end) = Window(from, to, time, TimeSpan.FromHours(1));
            if (end <= start)
            {
                return Results.Problem("'to' must be after 'from'.", statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(await queries.GetSeriesAsync(cloudId, start, end, resolution ?? SeriesResolution.Auto, ct), Json);
        });

        api.MapGet("/totals", async (DateTimeOffset? from, DateTimeOffset? to, int? cloudId, TelemetryQueries queries, TimeProvider time, CancellationToken ct) =>
        {
            var (start, end) = Window(from, to, time, TimeSpan.FromDays(1));
            return end <= start
                ? Results.Problem("'to' must be after 'from'.", statusCode: StatusCodes.Status400BadRequest)
                : Results.Json(await queries.GetEmissionTotalsAsync(start, end, cloudId, ct), Json);
        });

        api.MapGet("/carbon/{zone}", async (string zone, DateTimeOffset? from, DateTimeOffset? to, string? signal,
            TelemetryQueries queries, TelemetryStore store, TimeProvider time, CancellationToken ct) =>
        {
            if (!TelemetryApiModels.TryParseSignal(signal, store.Signal, out var parsed))
            {
                return Results.Problem($"Unknown signal '{signal}': use lifecycle or direct.", statusCode: StatusCodes.Status400BadRequest);
            }

            var (start, end) = Window(from, to, time, TimeSpan.FromDays(1));
            if (end <= start)
            {
                return Results.Problem("'to' must be after 'from'.", statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(new
            {
                zone = zone.ToUpperInvariant(),
                signal = parsed,
                current = store.Intensity(zone, parsed),
                history = await queries.GetCarbonHistoryAsync(zone, start, end, parsed, ct),
            }, Json);
        });

        api.MapGet("/status", (TelemetryStore store, TelemetryWriter writer) => Results.Json(new
        {
            hardwareCycle = store.LastHardwareCycle,
            carbonPoll = store.LastCarbonPoll,
            providers = store.ProviderHealth.Values,
            writer = writer.Stats,
            sampleSubscribers = store.SampleSubscriberCount,
        }, Json));

        return app;
    }

    private static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset? from, DateTimeOffset? to, TimeProvider time, TimeSpan defaultSpan)
    {
        var end = to ?? time.GetUtcNow();
        return (from ?? end - defaultSpan, end);
    }
}

/// <summary>JSON shapes of the telemetry API (HardwareSample's probe fields are flattened into value-or-reason).</summary>
public static class TelemetryApiModels
{
    public static object Live(CloudTelemetrySnapshot s) => new
    {
        s.CloudId,
        s.Zone,
        s.Pue,
        At = s.LatestPoint?.At,
        Hardware = s.LatestSample is { } h ? new
        {
            CpuUtilization = Field(h.CpuUtilization),
            LogicalCpus = Field(h.LogicalCpus),
            CpuModel = Field(h.CpuModel),
            MemoryUsedBytes = Field(h.MemoryUsedBytes),
            MemoryTotalBytes = Field(h.MemoryTotalBytes),
            Gpus = h.Gpus.HasValue
                ? h.Gpus.Value.Select(g => new { g.Index, Name = Field(g.Name), Utilization = Field(g.Utilization), PowerDrawWatts = Field(g.PowerDrawWatts) }).ToList()
                : null,
            GpusMissing = h.Gpus.MissingReason,
            RaplMissing = h.Rapl.MissingReason,
        } : null,
        Power = s.LatestPower,
        s.Intensity,
        s.CumulativeKwh,
        s.CumulativeGrams,
        s.CumulativeKwhWithoutIntensity,
        CumulativeGapSeconds = s.CumulativeGap.TotalSeconds,
        s.Samples,
        s.Failures,
        s.ConsecutiveFailures,
        s.LastPollAt,
        s.LastSuccessAt,
        LastPollMs = s.LastPollDuration?.TotalMilliseconds,
        s.Reachable,
        s.LastErrorKind,
        s.LastError,
    };

    public static bool TryParseSignal(string? text, CarbonSignal fallback, out CarbonSignal signal)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "":
                signal = fallback;
                return true;
            case "lifecycle" or "life-cycle" or "lca":
                signal = CarbonSignal.LifeCycle;
                return true;
            case "direct":
                signal = CarbonSignal.Direct;
                return true;
            default:
                signal = fallback;
                return false;
        }
    }

    private static object Field<T>(Core.Hardware.ProbeField<T> field) =>
        field.HasValue ? new { value = (object?)field.ValueOrDefault, missing = (string?)null } : new { value = (object?)null, missing = field.MissingReason };
}
