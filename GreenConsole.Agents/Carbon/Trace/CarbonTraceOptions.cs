using System.ComponentModel.DataAnnotations;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Agents.Carbon.Trace;

public enum TraceTimeMode
{
    /// <summary>Now maps to the same UTC month, day and hour of 2023 (Feb 29 replays Feb 28).</summary>
    HourOfYear,

    /// <summary>Now + <see cref="CarbonTraceOptions.Offset"/>, then as <see cref="HourOfYear"/>.</summary>
    Offset,

    /// <summary>App start replays <see cref="CarbonTraceOptions.FixedStart"/>.</summary>
    FixedStart,
}

/// <summary>Section "Carbon:Trace": the embedded hourly 2023 trace and how real time maps onto it.</summary>
public sealed class CarbonTraceOptions : IValidatableObject
{
    public const string SectionName = ShippedTrace.SectionName;

    /// <summary>The gzip CSV; relative paths are resolved against the app's base directory.</summary>
    [Required]
    public string FilePath { get; set; } = ShippedTrace.DefaultFilePath;

    public TraceTimeMode Mode { get; set; } = TraceTimeMode.HourOfYear;

    /// <summary>Used in <see cref="TraceTimeMode.Offset"/> mode, for example "-90.00:00:00" to replay a winter day in spring.</summary>
    public TimeSpan Offset { get; set; }

    /// <summary>Trace hours per real hour, counted from app start; 60 replays one trace hour per real minute.</summary>
    [Range(0.001, 1_000_000)]
    public double SpeedUp { get; set; } = 1;

    /// <summary>Used in <see cref="TraceTimeMode.FixedStart"/> mode: the 2023 instant replayed at app start.</summary>
    public DateTimeOffset? FixedStart { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode == TraceTimeMode.FixedStart && (FixedStart is null || FixedStart.Value.UtcDateTime.Year != 2023))
        {
            yield return new ValidationResult(
                "Carbon:Trace:FixedStart must be a 2023 date-time (UTC) when Carbon:Trace:Mode is FixedStart.",
                [nameof(FixedStart)]);
        }
    }
}
