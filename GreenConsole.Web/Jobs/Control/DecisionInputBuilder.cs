using GreenConsole.Core.Carbon;
using GreenConsole.Core.Migration;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Health;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs.Control;

/// <summary>
/// Builds what <see cref="MigrationPolicy"/> decides on: each cloud's reading, forecast, threshold, health and load,
/// and the measured bandwidth between clouds. A <see cref="Tick"/> asks each zone once however many jobs it decides for.
/// </summary>
internal sealed class DecisionInputBuilder(
    ICarbonIntensityProvider carbon,
    IOptions<CarbonSignalOptions> signal,
    CloudHealthStore health,
    JobRepository jobs,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<DecisionInputBuilder> logger,
    Definitions.PreflightStore preflight)
{
    private readonly Definitions.PreflightStore _preflight = preflight;
    private readonly JobsOptions _options = options.Value;
    private readonly JobRepository _jobs = jobs;
    private readonly CloudHealthStore _health = health;
    private readonly TimeProvider _time = time;

    public Tick NewTick(IReadOnlyList<CloudSummary> clouds, IReadOnlySet<int> busy) => new(this, clouds, busy);

    /// <summary>One controller cycle's shared inputs.</summary>
    internal sealed class Tick(DecisionInputBuilder owner, IReadOnlyList<CloudSummary> clouds, IReadOnlySet<int> busy)
    {
        private readonly Dictionary<string, double?> _intensities = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<IntensityPoint>?> _forecasts = new(StringComparer.Ordinal);
        private IReadOnlyDictionary<CloudPair, double>? _bandwidth;

        /// <summary>The registered cloud a decision names (Core names clouds by <see cref="CloudKeys.Of"/>; nothing is parsed back).</summary>
        public int? CloudOf(string? key) => key is null ? null : clouds.FirstOrDefault(c => CloudKeys.Of(c.Id) == key)?.Id;

        /// <summary>
        /// The policy's question for a running job, or one <paramref name="waiting"/> out a dirty grid; null when its
        /// cloud is no longer registered.
        /// </summary>
        public async Task<MigrationRequest?> BuildAsync(JobEntity job, bool waiting, CancellationToken ct)
        {
            var o = owner._options;
            _bandwidth ??= await owner._jobs.MeasuredBandwidthAsync(ct).ConfigureAwait(false);
            var states = new List<CloudState>();
            var allowed = Definitions.JobSpecs.MaskedDefinition(job)?.AllowedClouds;
            foreach (var c in clouds)
            {
                // A researcher's job only considers the clouds it allows and that passed (or have not failed) its preflight.
                if (c.Id != job.CurrentCloudId && !owner._preflight.Allows(job, c.Id, allowed))
                {
                    continue;
                }

                if (!_intensities.TryGetValue(c.Zone, out var value))
                {
                    value = await owner.IntensityAsync(c.Zone, ct).ConfigureAwait(false);
                    _intensities[c.Zone] = value;
                }

                if (!_forecasts.TryGetValue(c.Zone, out var forecast))
                {
                    forecast = o.UseForecasts ? await owner.ForecastAsync(c.Zone, ct).ConfigureAwait(false) : null;
                    _forecasts[c.Zone] = forecast;
                }

                states.Add(new CloudState
                {
                    CloudId = CloudKeys.Of(c.Id),
                    Zone = c.Zone,
                    IntensityGPerKwh = value,
                    Forecast = forecast,
                    ThresholdGPerKwh = c.ThresholdGPerKwh ?? o.DefaultThresholdGPerKwh,
                    Pue = c.Pue,
                    Reachable = owner._health.Get(c.Id)?.Reachable ?? true,
                    Busy = c.Id != job.CurrentCloudId && busy.Contains(c.Id),
                });
            }

            var current = CloudKeys.Of(job.CurrentCloudId);
            if (states.All(s => s.CloudId != current))
            {
                return null;
            }

            return new MigrationRequest
            {
                Now = owner._time.GetUtcNow(),
                Job = new MigrationJob
                {
                    JobId = job.Id,
                    CurrentCloudId = current,
                    ArrivedOnCurrentAt = job.ArrivedOnCurrentAt,
                    // A job is created on its first cloud with ArrivedOnCurrentAt = CreatedAt; only a move changes it.
                    ArrivedByMove = job.ArrivedOnCurrentAt != job.CreatedAt,
                    ExpectedRemaining = ExpectedRemaining(job),
                    PowerKw = o.DefaultPowerWatts / 1000.0,
                    CheckpointBytes = job.LastCheckpointBytes ?? o.DefaultCheckpointBytes,
                    RestartTime = TimeSpan.FromSeconds(o.RestartSeconds),
                    IsPaused = waiting,
                },
                Clouds = states,
                MeasuredBandwidth = _bandwidth,
            };
        }
    }

    /// <summary>From the job's own pace so far; an hour when it has too few steps to tell.</summary>
    internal static TimeSpan ExpectedRemaining(JobEntity job)
    {
        if (job.TotalSteps is { } total && job.LastStep is { } done && done > 1 && job.TrainingSeconds > 0)
        {
            var perStep = job.TrainingSeconds / (done - 1);
            return TimeSpan.FromSeconds(Math.Max(0, total - done) * perStep);
        }

        return TimeSpan.FromHours(1);
    }

    private async Task<double?> IntensityAsync(string zone, CancellationToken ct)
    {
        try
        {
            return (await carbon.GetCurrentAsync(zone, signal.Value.Signal, ct).ConfigureAwait(false))?.GramsPerKwh;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or TimeoutException)
        {
            logger.LogWarning("No carbon intensity for zone {Zone}: {Error}", zone, e.Message);
            return null;
        }
    }

    private async Task<IReadOnlyList<IntensityPoint>?> ForecastAsync(string zone, CancellationToken ct)
    {
        try
        {
            var readings = await carbon.GetForecastAsync(zone, _options.Policy.PlanningHorizon, signal.Value.Signal, ct).ConfigureAwait(false);
            return readings.Count == 0 ? null : readings.OrderBy(r => r.At).Select(r => new IntensityPoint(r.At, r.GramsPerKwh)).ToList();
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or TimeoutException)
        {
            // Without a forecast the policy assumes the current reading persists; that is a weaker plan, not a failure.
            logger.LogWarning("No carbon forecast for zone {Zone}: {Error}", zone, e.Message);
            return null;
        }
    }
}
