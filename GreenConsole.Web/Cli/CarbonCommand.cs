using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using GreenConsole.Web.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Cli;

/// <summary>
/// <c>carbon --zone KR [--at 2023-06-01T12:00Z] [--signal lifecycle|direct] [--json]</c>: the intensity the provider
/// chain gives for a zone now or at an instant, with its signal, source and provenance. Exit 0 with a figure, 1 when
/// the input is invalid or no provider has the zone.
/// </summary>
internal static class CarbonCommand
{
    public const int Ok = 0;
    public const int Error = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var zone = new Option<string>("--zone") { Description = "Electricity Maps zone, e.g. KR, DE, US-CAL-CISO", Required = true };
        var at = new Option<string?>("--at") { Description = "Instant (ISO 8601, e.g. 2023-06-01T12:00Z); default: now" };
        var signal = new Option<string?>("--signal") { Description = "lifecycle or direct; default: Carbon:Signal" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("carbon", "Show the carbon intensity of a zone, with its source and provenance") { zone, at, signal, json };
        command.SetAction((parse, ct) => RunAsync(configuration, parse.GetValue(zone)!, parse.GetValue(at), parse.GetValue(signal), parse.GetValue(json), output, error, ct));
        return command;
    }

    private static async Task<int> RunAsync(IConfiguration configuration, string zone, string? atText, string? signalText, bool json, TextWriter output, TextWriter error, CancellationToken ct)
    {
        DateTimeOffset? at = null;
        if (!string.IsNullOrWhiteSpace(atText))
        {
            if (!DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                await error.WriteLineAsync($"carbon: --at '{atText}' is not a date-time; use ISO 8601 such as 2023-06-01T12:00Z").ConfigureAwait(false);
                return Error;
            }

            at = parsed.ToUniversalTime();
        }

        if (string.IsNullOrWhiteSpace(zone))
        {
            await error.WriteLineAsync("carbon: --zone must name a zone, e.g. KR").ConfigureAwait(false);
            return Error;
        }

        // The chain answers "now" from its clock, so a pinned clock asks it about --at exactly as the app would have then.
        await using var scope = CliServices.Build(configuration, CliModules.Carbon, LogLevel.Error,
            services => services.AddSingleton<TimeProvider>(at is { } pinned ? new PinnedClock(pinned) : TimeProvider.System));
        var provider = scope.Services;

        CarbonSignal signal;
        ICarbonIntensityProvider chain;
        ICarbonProviderHealth providers;
        try
        {
            var configured = provider.GetRequiredService<IOptions<CarbonSignalOptions>>().Value.Signal;
            if (!TelemetryApiModels.TryParseSignal(signalText, configured, out signal))
            {
                await error.WriteLineAsync($"carbon: --signal '{signalText}' is unknown; use lifecycle or direct").ConfigureAwait(false);
                return Error;
            }

            chain = provider.GetRequiredService<ICarbonIntensityProvider>();
            providers = provider.GetRequiredService<ICarbonProviderHealth>();
        }
        catch (OptionsValidationException e)
        {
            await error.WriteLineAsync($"carbon: invalid settings: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
            return Error;
        }

        var upper = zone.Trim().ToUpperInvariant();
        if (!chain.Supports(upper))
        {
            await error.WriteLineAsync($"carbon: no carbon source knows zone '{upper}' (providers: {string.Join(", ", providers.ProviderOrder)})").ConfigureAwait(false);
            return Error;
        }

        CarbonIntensityReading? reading = null;
        if (at is { } instant)
        {
            var hour = EmissionsCalculator.HourStart(instant);
            var history = await chain.GetHistoryAsync(upper, hour, hour.AddHours(1), signal, ct).ConfigureAwait(false);
            reading = history.LastOrDefault(r => r.At <= instant);
        }

        reading ??= await chain.GetCurrentAsync(upper, signal, ct).ConfigureAwait(false);
        if (reading is null)
        {
            await error.WriteLineAsync($"carbon: no provider returned a figure for zone '{upper}'").ConfigureAwait(false);
            return Error;
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                zone = reading.Zone,
                requestedAt = at,
                at = reading.At,
                gramsPerKwh = reading.GramsPerKwh,
                signal = reading.Signal,
                quality = CarbonProvenance.Label(reading),
                recordedAt = reading.RecordedAt,
                source = reading.Source,
                sourceEstimated = reading.SourceEstimated,
                ageSeconds = reading.Age?.TotalSeconds,
                note = reading.Note,
                providers = providers.ProviderOrder,
            }, Json)).ConfigureAwait(false);
        }
        else
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"""
                zone:       {reading.Zone}
                at:         {reading.At:yyyy-MM-dd'T'HH:mm'Z'}{(at is null ? "" : $" (asked for {at:yyyy-MM-dd'T'HH:mm'Z'})")}
                intensity:  {reading.GramsPerKwh:F1} gCO2eq/kWh
                signal:     {(reading.Signal == CarbonSignal.LifeCycle ? "lifecycle" : "direct")}
                source:     {reading.Source}
                provenance: {CarbonProvenance.Label(reading)}{(reading.SourceEstimated ? ", estimated by the source" : "")}{(reading.Age is { } age ? $", stale by {age.TotalMinutes:F0} min" : "")}{(reading.Note is null ? "" : $"; {reading.Note}")}
                providers:  {string.Join(" > ", providers.ProviderOrder)}
                """);
            await output.WriteLineAsync(text).ConfigureAwait(false);
        }

        return Ok;
    }

    /// <summary>A clock stopped at one instant.</summary>
    private sealed class PinnedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }
}
