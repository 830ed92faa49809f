using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Core.Migration;

/// <summary>What the policy does when the current grid is dirty and no other cloud is worth moving to.</summary>
public enum NoCandidateMode
{
    /// <summary>Keep training where it is.</summary>
    KeepRunning,

    /// <summary>Time shifting: checkpoint and pause until the grid is clean again (or the deadline forces a resume).</summary>
    PauseAndWait,
}

/// <summary>The job as the policy sees it at one decision point.</summary>
public sealed record MigrationJob
{
    public required string JobId { get; init; }

    /// <summary>The cloud the job runs on (or is paused on).</summary>
    public required string CurrentCloudId { get; init; }

    /// <summary>When the job arrived on <see cref="CurrentCloudId"/>; after a move the minimum dwell time counts from here.</summary>
    public required DateTimeOffset ArrivedOnCurrentAt { get; init; }

    /// <summary>
    /// Whether the job got to <see cref="CurrentCloudId"/> by a move. The dwell guard stops ping-pong between clouds;
    /// a job that starts on a dirty grid has nothing to ping-pong from, so it may move at its first decision.
    /// </summary>
    public bool ArrivedByMove { get; init; } = true;

    /// <summary>Expected remaining compute time (not counting pauses or move downtime).</summary>
    public required TimeSpan ExpectedRemaining { get; init; }

    /// <summary>IT power draw while training, kW. <see cref="PowerKwByCloud"/> overrides it per cloud.</summary>
    public required double PowerKw { get; init; }

    /// <summary>Optional per-cloud power draw (different accelerators), keyed by cloud id.</summary>
    public IReadOnlyDictionary<string, double>? PowerKwByCloud { get; init; }

    /// <summary>Idle power while stopped during a move, kW; null means <see cref="MigrationPolicyOptions.IdlePowerFraction"/> × power.</summary>
    public double? IdlePowerKw { get; init; }

    public required long CheckpointBytes { get; init; }

    public required TimeSpan RestartTime { get; init; }

    /// <summary>True while the job is paused by an earlier <see cref="MigrationAction.Pause"/> decision.</summary>
    public bool IsPaused { get; init; }

    /// <summary>Optional time by which the job must finish; pausing never pushes it past this.</summary>
    public DateTimeOffset? Deadline { get; init; }

    public double PowerOn(string cloudId) =>
        PowerKwByCloud is not null && PowerKwByCloud.TryGetValue(cloudId, out var kw) ? kw : PowerKw;

    public double IdlePowerOn(string cloudId, double idleFraction) => IdlePowerKw ?? PowerOn(cloudId) * idleFraction;
}

/// <summary>One cloud's state at the decision point.</summary>
public sealed record CloudState
{
    public required string CloudId { get; init; }
    public required string Zone { get; init; }

    /// <summary>Current intensity, gCO2eq/kWh; null when no reading is available.</summary>
    public double? IntensityGPerKwh { get; init; }

    public required double ThresholdGPerKwh { get; init; }

    /// <summary>Per-cloud hysteresis band; null uses <see cref="MigrationPolicyOptions.HysteresisGPerKwh"/>.</summary>
    public double? HysteresisGPerKwh { get; init; }

    public double Pue { get; init; } = 1.0;
    public bool Reachable { get; init; } = true;
    public bool Busy { get; init; }

    /// <summary>Optional hourly forecast (or replayed trace) after the current hour, sorted by hour start.</summary>
    public IReadOnlyList<IntensityPoint>? Forecast { get; init; }
}

/// <summary>Settings of <see cref="MigrationPolicy"/>; bound from configuration and validated at start.</summary>
public sealed class MigrationPolicyOptions
{
    /// <summary>A job must stay this long on a cloud before it may move again (ping-pong guard).</summary>
    public TimeSpan MinimumDwell { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Default band below a candidate's threshold that its intensity must clear, g/kWh.</summary>
    [Range(0, 10_000)]
    public double HysteresisGPerKwh { get; set; } = 10;

    public NoCandidateMode NoCandidateMode { get; set; } = NoCandidateMode.KeepRunning;

    /// <summary>A move must be expected to save at least this many grams net of its overhead.</summary>
    [Range(0, double.MaxValue)]
    public double MinimumNetSavingGrams { get; set; } = 5;

    /// <summary>How far ahead stay-vs-move is compared (capped by the job's remaining time).</summary>
    public TimeSpan PlanningHorizon { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Used when no bandwidth between two clouds has been measured yet.</summary>
    [Range(1, double.MaxValue)]
    public double DefaultBandwidthBytesPerSecond { get; set; } = 10_000_000;

    /// <summary>Idle power as a share of the training power, when the job gives none.</summary>
    [Range(0, 1)]
    public double IdlePowerFraction { get; set; } = 0.3;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (MinimumDwell < TimeSpan.Zero)
            throw new ArgumentException($"Migration:{nameof(MinimumDwell)} must not be negative (was {MinimumDwell}).");
        if (PlanningHorizon <= TimeSpan.Zero)
            throw new ArgumentException($"Migration:{nameof(PlanningHorizon)} must be positive (was {PlanningHorizon}).");
        if (!(HysteresisGPerKwh >= 0))
            throw new ArgumentException($"Migration:{nameof(HysteresisGPerKwh)} must be >= 0 (was {HysteresisGPerKwh}).");
        if (!(MinimumNetSavingGrams >= 0))
            throw new ArgumentException($"Migration:{nameof(MinimumNetSavingGrams)} must be >= 0 (was {MinimumNetSavingGrams}).");
        if (!(DefaultBandwidthBytesPerSecond > 0) || double.IsInfinity(DefaultBandwidthBytesPerSecond))
            throw new ArgumentException($"Migration:{nameof(DefaultBandwidthBytesPerSecond)} must be positive (was {DefaultBandwidthBytesPerSecond}).");
        if (!(IdlePowerFraction is >= 0 and <= 1))
            throw new ArgumentException($"Migration:{nameof(IdlePowerFraction)} must be within [0, 1] (was {IdlePowerFraction}).");
    }
}

/// <summary>Everything one decision depends on; the decision carries it back so the log holds the inputs.</summary>
public sealed record MigrationRequest
{
    public required DateTimeOffset Now { get; init; }
    public required MigrationJob Job { get; init; }

    /// <summary>All known clouds, including the job's current one.</summary>
    public required IReadOnlyList<CloudState> Clouds { get; init; }

    /// <summary>Measured bandwidth in bytes/s per directed pair of cloud ids; pairs not listed use the default.</summary>
    public IReadOnlyDictionary<CloudPair, double>? MeasuredBandwidth { get; init; }
}
