using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GreenConsole.Core.Migration;
using GreenConsole.Core.Simulation;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Simulation;

namespace GreenConsole.Web.Cli;

/// <summary>
/// <c>simulate --zones KR,DE,GB | --clouds ...</c>: replays an hourly trace for a job started at every hour of the
/// window under the five policies (stay, threshold-lowest, greenconsole = the live <see cref="MigrationPolicy"/> with
/// the Migration:Policy settings, oracle, time-shift). Zones without a threshold get the zone's median over the window.
/// <c>--readme-table</c> prints the README comparison and the full-year timing instead. Exit 0 done, 1 bad input.
/// </summary>
internal static class SimulateCommand
{
    public const int Ok = 0;
    public const int Failed = 1;

    public static readonly string[] ReadmeZones = ["KR", "DE", "GB", "US-CAL-CISO", "CA-ON"];

    private static readonly string[] Order =
        [PolicyNames.Stay, PolicyNames.ThresholdLowest, PolicyNames.GreenConsole, PolicyNames.Oracle, PolicyNames.TimeShift];

    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var zones = new Option<string?>("--zones") { Description = "Comma-separated zones, e.g. KR,DE,GB (the first is where jobs start)" };
        var clouds = new Option<bool>("--clouds") { Description = "Use the registered clouds (zone, threshold, PUE from the registry) instead of --zones" };
        var jobHours = new Option<int>("--job-hours") { Description = "Job length in hours", DefaultValueFactory = _ => 6 };
        var power = new Option<double>("--power-kw") { Description = "IT power while training, kW", DefaultValueFactory = _ => 0.4 };
        var checkpoint = new Option<double>("--checkpoint-mb") { Description = "Checkpoint size, MB (10^6 bytes)", DefaultValueFactory = _ => 100 };
        var restart = new Option<double>("--restart-s") { Description = "Restart time after a move, seconds", DefaultValueFactory = _ => 30 };
        var bandwidth = new Option<double>("--bandwidth-mbps") { Description = "Bandwidth between clouds, Mbit/s", DefaultValueFactory = _ => 50 };
        var thresholds = new Option<string?>("--thresholds") { Description = "Per-zone thresholds, e.g. KR=400,DE=300 (gCO2/kWh); others: the zone's median over the window" };
        var from = new Option<string?>("--from") { Description = "First day or hour of the window, e.g. 2023-01-01" };
        var to = new Option<string?>("--to") { Description = "Last day of the window (inclusive), e.g. 2023-12-31, or an exclusive end date-time" };
        var trace = new Option<string?>("--trace") { Description = "A CSV (or .csv.gz) in the long format datetime_utc,zone_id,ci_direct,ci_lca,is_estimated; default: the shipped 2023 trace" };
        var signal = new Option<string?>("--signal") { Description = "lifecycle (ci_lca, default) or direct (ci_direct)" };
        var everyStart = new Option<bool>("--start-every-cloud") { Description = "Run each start hour from every cloud and average (default: start on the first)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object keyed by policy name" };
        var csv = new Option<bool>("--csv") { Description = "Print one CSV row per policy" };
        var readme = new Option<bool>("--readme-table") { Description = "Print the README table (shipped 2023 data, 5 clouds, 6 h and 48 h) and the full-year 16-zone timing" };
        var command = new Command("simulate", "What-if: replay an hourly carbon trace under five migration policies")
        {
            zones, clouds, jobHours, power, checkpoint, restart, bandwidth, thresholds, from, to, trace, signal, everyStart, json, csv, readme,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var policy = PolicyOptions(configuration);
                var traceSignal = ParseSignal(parse.GetValue(signal));
                if (parse.GetValue(readme))
                {
                    await ReadmeTableAsync(configuration, policy, traceSignal, output, ct).ConfigureAwait(false);
                    return Ok;
                }

                if (parse.GetValue(json) && parse.GetValue(csv))
                    throw new ArgumentException("Give --json or --csv, not both.");
                var specs = parse.GetValue(clouds)
                    ? await RegisteredCloudsAsync(configuration, ct).ConfigureAwait(false)
                    : ZoneSpecs(parse.GetValue(zones));
                if (parse.GetValue(clouds) && !string.IsNullOrWhiteSpace(parse.GetValue(zones)))
                    throw new ArgumentException("Give --zones or --clouds, not both.");
                specs = ApplyThresholds(specs, parse.GetValue(thresholds));

                var (fromAt, toAt) = TraceInput.ParseWindow(parse.GetValue(from), parse.GetValue(to));
                var readOptions = new HourlyTraceReadOptions
                {
                    Signal = traceSignal,
                    Zones = specs.Select(s => s.Zone).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                    OtherZonesAreErrors = parse.GetValue(trace) is not null,
                    From = fromAt,
                    ToExclusive = toAt,
                };
                var path = parse.GetValue(trace) ?? TraceInput.ShippedPath(configuration);
                var carbon = await TraceInput.LoadFileAsync(path, readOptions, ct).ConfigureAwait(false);
                var input = SimulationSetup.Build(new SimulationRequest
                {
                    Clouds = specs,
                    JobHours = parse.GetValue(jobHours),
                    PowerKw = parse.GetValue(power),
                    CheckpointMb = parse.GetValue(checkpoint),
                    RestartSeconds = parse.GetValue(restart),
                    BandwidthMbps = parse.GetValue(bandwidth),
                    StartOnEveryCloud = parse.GetValue(everyStart),
                    Policy = policy,
                }, carbon);
                var result = CarbonSimulator.Run(input, null, ct);
                var text = parse.GetValue(json) ? Json(result, input, traceSignal)
                    : parse.GetValue(csv) ? Csv(result)
                    : Text(result, input, traceSignal);
                await output.WriteLineAsync(text).ConfigureAwait(false);
                return Ok;
            }
            catch (TraceFormatException e)
            {
                await error.WriteLineAsync($"simulate: trace {parse.GetValue(trace) ?? "(shipped)"}: {e.Message}").ConfigureAwait(false);
                return Failed;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                await error.WriteLineAsync($"simulate: {e.Message}").ConfigureAwait(false);
                return Failed;
            }
        });
        return command;
    }

    internal static MigrationPolicyOptions PolicyOptions(IConfiguration configuration)
    {
        var policy = new MigrationPolicyOptions();
        configuration.GetSection($"{JobsOptions.SectionName}:{nameof(JobsOptions.Policy)}").Bind(policy);
        policy.Validate();
        return policy;
    }

    internal static TraceSignal ParseSignal(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "lifecycle" or "lca" => TraceSignal.LifeCycle,
        "direct" => TraceSignal.Direct,
        _ => throw new ArgumentException($"--signal '{text}' is unknown; use lifecycle or direct."),
    };

    private static List<SimCloudSpec> ZoneSpecs(string? zones)
    {
        if (string.IsNullOrWhiteSpace(zones))
            throw new ArgumentException("Give --zones (e.g. KR,DE,GB) or --clouds.");
        var list = new List<SimCloudSpec>();
        foreach (var z in zones.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!HourlyTraceCsv.IsZoneId(z))
                throw new ArgumentException($"--zones: '{z}' is not a zone id.");
            list.Add(new SimCloudSpec(z.ToUpperInvariant()));
        }

        return list;
    }

    private static async Task<List<SimCloudSpec>> RegisteredCloudsAsync(IConfiguration configuration, CancellationToken ct)
    {
        await using var scope = CliServices.Build(configuration, CliModules.CloudRegistry, LogLevel.Error);
        var provider = scope.Services;
        await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
        var clouds = await provider.GetRequiredService<CloudRepository>().ListAsync(ct).ConfigureAwait(false);
        if (clouds.Count == 0)
            throw new InvalidOperationException("--clouds: no cloud is registered (import clouds with import-csv).");
        return clouds.Select(c => new SimCloudSpec(c.Zone, c.ThresholdGPerKwh, c.Pue, c.Id.ToString(CultureInfo.InvariantCulture))).ToList();
    }

    private static List<SimCloudSpec> ApplyThresholds(List<SimCloudSpec> specs, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return specs;
        var given = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
                throw new ArgumentException($"--thresholds: '{pair}' is not ZONE=number (gCO2/kWh >= 0).");
            if (!specs.Any(s => string.Equals(s.Zone, parts[0], StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"--thresholds: zone '{parts[0]}' is not simulated (zones: {string.Join(", ", specs.Select(s => s.Zone))}).");
            given[parts[0]] = value;
        }

        return specs.Select(s => given.TryGetValue(s.Zone, out var t) ? s with { ThresholdGPerKwh = t } : s).ToList();
    }

    internal static string Json(SimulationResult result, SimulationInput input, TraceSignal signal)
    {
        var node = JsonSerializer.SerializeToNode(result)!.AsObject();
        node["signal"] = signal == TraceSignal.Direct ? "direct" : "lifecycle";
        node["trace_start"] = input.Trace.Start.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);
        node["trace_hours"] = input.Trace.Hours;
        var thresholds = new JsonObject();
        foreach (var c in input.Clouds)
            thresholds[c.CloudId] = new JsonObject { ["zone"] = c.Zone, ["threshold_g_per_kwh"] = c.ThresholdGPerKwh, ["pue"] = c.Pue };
        node["cloud_settings"] = thresholds;
        return node.ToJsonString();
    }

    internal static string Csv(SimulationResult result)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("policy,total_gco2,mean_gco2_per_job,saving_vs_stay_g,saving_vs_stay_pct,share_of_oracle_saving,migrations_per_job,pauses_per_job,added_run_time_hours_per_job\n");
        foreach (var name in Order)
        {
            if (result[name] is not { } p)
                continue;
            sb.Append(ci, $"{name},{p.TotalGco2:0.###},{p.MeanGco2PerJob:0.###},{p.SavingVsStayG:0.###},{p.SavingVsStayPct:0.###},{p.ShareOfOracleSaving:0.####},{p.MigrationsPerJob:0.####},{(result.Jobs == 0 ? 0 : p.Pauses / result.Jobs):0.####},{p.AddedRunTimeHoursPerJob:0.####}\n");
        }

        return sb.ToString().TrimEnd('\n');
    }

    private static string Text(SimulationResult result, SimulationInput input, TraceSignal signal)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(ci, $"{result.Jobs} jobs of {result.JobLengthHours} h, {input.Trace.Hours} trace hours from {input.Trace.Start:yyyy-MM-dd HH:mm}Z ({(signal == TraceSignal.Direct ? "direct" : "lifecycle")}), start on {string.Join(",", result.StartClouds)}"));
        sb.AppendLine("clouds: " + string.Join(", ", input.Clouds.Select(c => string.Create(ci, $"{c.CloudId} ({c.Zone}, threshold {c.ThresholdGPerKwh:0.#}, PUE {c.Pue:0.##})"))));
        sb.AppendLine("policy              total kg   saving vs stay   share of oracle   moves/job   added h/job");
        foreach (var name in Order)
        {
            if (result[name] is not { } p)
                continue;
            sb.AppendLine(string.Format(ci, "{0,-17} {1,10:0.0} {2,15:0.0}% {3,17} {4,11:0.00} {5,13:0.000}",
                name, p.TotalGco2 / 1000, p.SavingVsStayPct ?? 0, p.ShareOfOracleSaving is { } s ? (s * 100).ToString("0.0", ci) + "%" : "-",
                p.MigrationsPerJob, p.AddedRunTimeHoursPerJob));
        }

        return sb.ToString().TrimEnd();
    }

    /// <summary>The README's comparison: shipped 2023 trace, five clouds at their median thresholds, jobs started on every cloud.</summary>
    private static async Task ReadmeTableAsync(IConfiguration configuration, MigrationPolicyOptions policy, TraceSignal signal, TextWriter output, CancellationToken ct)
    {
        var ci = CultureInfo.InvariantCulture;
        var path = TraceInput.ShippedPath(configuration);
        var all = await TraceInput.LoadFileAsync(path, new HourlyTraceReadOptions { Signal = signal }, ct).ConfigureAwait(false);
        var five = await TraceInput.LoadFileAsync(path, new HourlyTraceReadOptions { Signal = signal, Zones = ReadmeZones }, ct).ConfigureAwait(false);
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(ci, $"Shipped Electricity Maps 2023 hourly trace ({(signal == TraceSignal.Direct ? "direct" : "life-cycle")} intensity, {five.Hours} h), clouds {string.Join(", ", ReadmeZones)} (PUE 1.0, threshold = each zone's 2023 median), 0.4 kW, 100 MB checkpoint, 30 s restart, 50 Mbit/s; a job is started at every hour from every cloud and averaged. Generated by `simulate --readme-table`."));
        sb.AppendLine();
        sb.AppendLine("| job | policy | mean gCO2/job | saving vs stay | share of oracle saving | moves/job | added h/job |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        var results = new Dictionary<int, SimulationResult>();
        foreach (var hours in new[] { 6, 48 })
        {
            var input = SimulationSetup.Build(new SimulationRequest
            {
                Clouds = ReadmeZones.Select(z => new SimCloudSpec(z)).ToArray(),
                JobHours = hours,
                StartOnEveryCloud = true,
                Policy = policy,
            }, five);
            var r = CarbonSimulator.Run(input, null, ct);
            results[hours] = r;
            foreach (var name in Order)
            {
                var p = r[name]!;
                sb.AppendLine(string.Create(ci, $"| {hours} h | {name} | {p.MeanGco2PerJob:0.0} | {p.SavingVsStayPct ?? 0:0.0}% | {(p.ShareOfOracleSaving is { } s ? (s * 100).ToString("0.0", ci) + "%" : "-")} | {p.MigrationsPerJob:0.00} | {p.AddedRunTimeHoursPerJob:0.000} |"));
            }
        }

        var bench = SimulationBenchmark.RunFullYear(all, 48, ct);
        sb.AppendLine();
        sb.AppendLine(string.Create(ci, $"Timing: full year × {bench.Clouds} zones × 5 policies, {bench.JobLengthHours} h job at each of {bench.Jobs} start hours, {Environment.ProcessorCount} cores: {bench.AllPolicies.TotalSeconds:0.00} s all together; alone: {string.Join(", ", bench.PerPolicy.Select(kv => string.Create(ci, $"{kv.Key} {kv.Value.TotalSeconds:0.00} s")))}."));
        await output.WriteLineAsync(sb.ToString().TrimEnd()).ConfigureAwait(false);
    }
}
