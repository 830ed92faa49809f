using System.Text.Json.Serialization;
using GreenConsole.Core.Migration;

namespace GreenConsole.Core.Simulation;

/// <summary>
/// One hour of a simulated greenconsole job: trace hour index <paramref name="Hour"/> (starting at
/// <paramref name="At"/>), the cloud the job was on before deciding, and the policy's full decision.
/// </summary>
public sealed record SimHourDecision(int Hour, DateTimeOffset At, string CloudId, MigrationDecision Decision);

/// <summary>Exact policy names used as JSON keys and in the UI.</summary>
public static class PolicyNames
{
    public const string Stay = "stay";
    public const string ThresholdLowest = "threshold-lowest";
    public const string GreenConsole = "greenconsole";
    public const string Oracle = "oracle";
    public const string TimeShift = "time-shift";
}

/// <summary>One policy's aggregate over all simulated start hours.</summary>
public sealed record PolicyAggregate
{
    /// <summary>Sum over start hours of each job's grams (a job's grams are the mean over its start clouds).</summary>
    [JsonPropertyName("total_gco2")] public required double TotalGco2 { get; init; }
    [JsonPropertyName("mean_gco2_per_job")] public required double MeanGco2PerJob { get; init; }

    /// <summary>Stay's total minus this total; null when stay was not simulated.</summary>
    [JsonPropertyName("saving_vs_stay_g")] public double? SavingVsStayG { get; init; }
    [JsonPropertyName("saving_vs_stay_pct")] public double? SavingVsStayPct { get; init; }

    /// <summary>This policy's saving divided by the oracle's; null when either is missing or the oracle saves nothing.</summary>
    [JsonPropertyName("share_of_oracle_saving")] public double? ShareOfOracleSaving { get; init; }

    /// <summary>Migrations summed over jobs (a job's count is the mean over its start clouds).</summary>
    [JsonPropertyName("migrations")] public required double Migrations { get; init; }
    [JsonPropertyName("migrations_per_job")] public required double MigrationsPerJob { get; init; }

    /// <summary>Pauses (time-shift only) summed over jobs.</summary>
    [JsonPropertyName("pauses")] public required double Pauses { get; init; }

    /// <summary>Extra wall-clock hours over the job length: move downtime, pauses, restarts.</summary>
    [JsonPropertyName("added_run_time_hours")] public required double AddedRunTimeHours { get; init; }
    [JsonPropertyName("added_run_time_hours_per_job")] public required double AddedRunTimeHoursPerJob { get; init; }
}

/// <summary>A what-if result, serialisable as JSON with the policy names as keys.</summary>
public sealed record SimulationResult
{
    [JsonPropertyName("stay")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PolicyAggregate? Stay { get; init; }
    [JsonPropertyName("threshold-lowest")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PolicyAggregate? ThresholdLowest { get; init; }
    [JsonPropertyName("greenconsole")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PolicyAggregate? GreenConsole { get; init; }
    [JsonPropertyName("oracle")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PolicyAggregate? Oracle { get; init; }
    [JsonPropertyName("time-shift")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PolicyAggregate? TimeShift { get; init; }

    [JsonPropertyName("jobs")] public required int Jobs { get; init; }
    [JsonPropertyName("job_length_hours")] public required int JobLengthHours { get; init; }
    [JsonPropertyName("start_clouds")] public required IReadOnlyList<string> StartClouds { get; init; }
    [JsonPropertyName("clouds")] public required IReadOnlyList<string> Clouds { get; init; }

    /// <summary>Grams per start hour, keyed by policy name; only with <see cref="SimulationOptions.IncludePerJob"/>.</summary>
    [JsonPropertyName("per_job_gco2")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double[]>? PerJobGco2 { get; init; }

    public PolicyAggregate? this[string policy] => policy switch
    {
        PolicyNames.Stay => Stay,
        PolicyNames.ThresholdLowest => ThresholdLowest,
        PolicyNames.GreenConsole => GreenConsole,
        PolicyNames.Oracle => Oracle,
        PolicyNames.TimeShift => TimeShift,
        _ => throw new ArgumentException($"Unknown policy '{policy}'.", nameof(policy)),
    };
}
