using System.ComponentModel.DataAnnotations;
using GreenConsole.Core.Migration;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs;

/// <summary>Section "Migration": the controller's tick, defaults for missing data, policy ("Migration:Policy") and step timeouts ("Migration:Timeouts").</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Migration";

    /// <summary>Seconds between two controller ticks (poll progress, decide).</summary>
    [Range(0.05, 3600)]
    public double TickSeconds { get; set; } = 5;

    /// <summary>How long a submit watches a researcher's command for an exit at once (0: not at all).</summary>
    [Range(0, 60)]
    public double EarlyExitSeconds { get; set; } = 3;

    /// <summary>Threshold for clouds whose CSV row has none, gCO2eq/kWh.</summary>
    [Range(0, 10_000)]
    public double DefaultThresholdGPerKwh { get; set; } = 300;

    /// <summary>IT power of a training job when no hardware sample is available (accounted as Estimated).</summary>
    [Range(1, 1_000_000)]
    public double DefaultPowerWatts { get; set; } = 300;

    /// <summary>Expected restart time of a job on a new cloud (the policy's move cost).</summary>
    [Range(0, 3600)]
    public double RestartSeconds { get; set; } = 5;

    /// <summary>Checkpoint size assumed before the job reported one.</summary>
    [Range(0, long.MaxValue)]
    public long DefaultCheckpointBytes { get; set; } = 100_000;

    /// <summary>Upper bounds of what a Researcher may ask for: a job must not fill a cloud's disk or run for ever.</summary>
    [Range(1, 1_000_000)]
    public int MaxEpochs { get; set; } = 1000;

    [Range(0, 3_600_000)]
    public int MaxStepDelayMs { get; set; } = 60_000;

    /// <summary>Largest checkpoint padding (benchmarks use up to 1 GiB); the cloud also needs room for two checkpoints.</summary>
    [Range(0, long.MaxValue)]
    public long MaxCheckpointPadBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    [Range(1, 1000)]
    public int MaxNameLength { get; set; } = 100;

    /// <summary>When false the policy is still evaluated and logged, but only manual migrations run.</summary>
    public bool AutoMigrate { get; set; } = true;

    /// <summary>
    /// Feed the policy each zone's forecast over Migration:Policy:PlanningHorizon (the trace's coming hours when
    /// replaying, the provider's forecast when live) instead of assuming today's intensity persists.
    /// </summary>
    public bool UseForecasts { get; set; } = true;

    /// <summary>How often a migration step re-checks the remote side while it waits (stopped marker, first progress line).</summary>
    [Range(10, 60_000)]
    public int WaitPollMilliseconds { get; set; } = 500;

    /// <summary>
    /// Longest remote-side wait (one SSH command sleeping 10 ms at a time on the cloud) while a migration waits for the
    /// stopped marker or the first new progress line; 0 falls back to polling every <see cref="WaitPollMilliseconds"/>.
    /// </summary>
    [Range(0, 60_000)]
    public int RemoteWaitMilliseconds { get; set; } = 3000;

    /// <summary>Launch the job in warm standby on the target while the source drains (imports done before the checkpoint arrives).</summary>
    public bool WarmStandby { get; set; } = true;

    /// <summary>
    /// Before asking the source to stop, wait at most this long for the standby to finish its set-up (imports, data,
    /// model). The job keeps training meanwhile, so this moves set-up out of the downtime; 0 stops at once.
    /// </summary>
    [Range(0, 600)]
    public int StandbyReadySeconds { get; set; } = 30;

    /// <summary>A standby that gets no go signal within this time exits by itself (safety net if the controller vanished).</summary>
    [Range(10, 7 * 86400)]
    public int StandbyTimeoutSeconds { get; set; } = 3600;

    /// <summary>Pause before a step is retried after an unreachable host (wait-and-retry).</summary>
    [Range(0.01, 3600)]
    public double RetryDelaySeconds { get; set; } = 5;

    /// <summary>An unchanged decision is written to the event log at most this often (every decision is logged to the app log).</summary>
    [Range(0, 24 * 60)]
    public double DecisionLogMinutes { get; set; } = 1;

    public MigrationPolicyOptions Policy { get; set; } = new();

    public MigrationTimeouts Timeouts { get; set; } = new();
}

internal sealed class JobsOptionsValidator : IValidateOptions<JobsOptions>
{
    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        try
        {
            options.Policy.Validate();
            options.Timeouts.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
