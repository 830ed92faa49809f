using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Tests.Agents.Carbon;

/// <summary>A real HTTP server on 127.0.0.1 (random port) answering in the documented Electricity Maps v3 shapes.</summary>
internal sealed class FakeElectricityMapsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private FakeElectricityMapsServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";
    public double LatestValue { get; set; } = 302;
    public int ForecastStatus { get; set; } = 200;
    public int LatestStatus { get; set; } = 200;
    public TimeSpan LatestDelay { get; set; } = TimeSpan.Zero;
    public DateTimeOffset Hour { get; set; } = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);
    public ConcurrentQueue<(string Path, string Query, string? Token)> Requests { get; } = new();

    public static async Task<FakeElectricityMapsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeElectricityMapsServer(app);
        app.Use(async (ctx, next) =>
        {
            server.Requests.Enqueue((ctx.Request.Path, ctx.Request.QueryString.Value ?? "", ctx.Request.Headers["auth-token"].FirstOrDefault()));
            await next(ctx);
        });
        app.MapGet("/v3/carbon-intensity/latest", async (HttpContext ctx) =>
        {
            if (server.LatestDelay > TimeSpan.Zero)
            {
                await Task.Delay(server.LatestDelay, ctx.RequestAborted);
            }

            if (server.LatestStatus != 200)
            {
                return Results.StatusCode(server.LatestStatus);
            }

            return Results.Json(Point(ctx.Request.Query["zone"]!, server.LatestValue, server.Hour, ctx.Request.Query["emissionFactorType"]!, estimated: false));
        });
        app.MapGet("/v3/carbon-intensity/history", (HttpContext ctx) =>
        {
            var zone = ctx.Request.Query["zone"].ToString();
            var history = Enumerable.Range(0, 24).Select(i => Point(zone, 200 + i, server.Hour.AddHours(i - 23), "lifecycle", estimated: i == 23)).ToList();
            history[5] = history[5] with { carbonIntensity = null };
            return Results.Json(new { zone, history });
        });
        app.MapGet("/v3/carbon-intensity/forecast", (HttpContext ctx) =>
        {
            if (server.ForecastStatus != 200)
            {
                return Results.Json(new { error = "not allowed" }, statusCode: server.ForecastStatus);
            }

            var zone = ctx.Request.Query["zone"].ToString();
            var forecast = Enumerable.Range(1, 72).Select(i => new { carbonIntensity = (double?)(300 - i), datetime = server.Hour.AddHours(i).ToString("yyyy-MM-ddTHH:mm:ss.fffZ") });
            return Results.Json(new { zone, forecast, updatedAt = server.Hour.ToString("O") });
        });
        await app.StartAsync();
        server.BaseUrl = app.Urls.Single();
        return server;
    }

    private static EmPoint Point(string zone, double? value, DateTimeOffset at, string factor, bool estimated) =>
        new(zone, value, at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), at.AddMinutes(40).ToString("O"), at.AddMinutes(5).ToString("O"),
            string.IsNullOrEmpty(factor) ? "lifecycle" : factor, estimated, estimated ? "TIME_SLICER_AVERAGE" : null);

    /// <summary>Stops listening: later requests get connection refused.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

#pragma warning disable IDE1006 // wire names
    private sealed record EmPoint(string zone, double? carbonIntensity, string datetime, string updatedAt, string createdAt, string emissionFactorType, bool isEstimated, string? estimationMethod);
#pragma warning restore IDE1006
}
