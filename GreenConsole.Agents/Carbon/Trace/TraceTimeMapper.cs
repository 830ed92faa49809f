namespace GreenConsole.Agents.Carbon.Trace;

/// <summary>Maps real instants onto the 2023 trace. Pure apart from the anchor fixed at construction.</summary>
internal sealed class TraceTimeMapper
{
    public const int HoursPerYear = 8760;
    public static readonly DateTimeOffset TraceYearStart = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly CarbonTraceOptions _options;
    private readonly DateTimeOffset _realAnchor;
    private readonly DateTimeOffset _traceAnchor;

    public TraceTimeMapper(CarbonTraceOptions options, DateTimeOffset appStart)
    {
        _options = options;
        _realAnchor = appStart;
        _traceAnchor = options.Mode switch
        {
            TraceTimeMode.FixedStart => options.FixedStart ?? throw new InvalidOperationException("Carbon:Trace:FixedStart is required in FixedStart mode."),
            TraceTimeMode.Offset => SameInstantOf2023(appStart + options.Offset),
            _ => SameInstantOf2023(appStart),
        };
    }

    /// <summary>The trace instant for a real instant (within 2023, wrapping around the year).</summary>
    public DateTimeOffset ToTrace(DateTimeOffset real)
    {
        var elapsed = (real - _realAnchor).Ticks * _options.SpeedUp;
        var yearTicks = TimeSpan.FromHours(HoursPerYear).Ticks;
        var offset = ((_traceAnchor - TraceYearStart).Ticks + elapsed) % yearTicks;
        if (offset < 0)
        {
            offset += yearTicks;
        }

        return TraceYearStart + TimeSpan.FromTicks((long)offset);
    }

    /// <summary>Index 0..8759 of the trace hour for a real instant.</summary>
    public int HourIndex(DateTimeOffset real) => (int)((ToTrace(real) - TraceYearStart).Ticks / TimeSpan.TicksPerHour);

    /// <summary>The real instant at which the trace hour containing <paramref name="real"/> started.</summary>
    public DateTimeOffset SlotStart(DateTimeOffset real)
    {
        var trace = ToTrace(real);
        var intoHour = trace.Ticks % TimeSpan.TicksPerHour;
        return real - TimeSpan.FromTicks((long)(intoHour / _options.SpeedUp));
    }

    /// <summary>Real duration of one trace hour.</summary>
    public TimeSpan SlotLength => TimeSpan.FromTicks((long)(TimeSpan.TicksPerHour / _options.SpeedUp));

    /// <summary>
    /// The same UTC month/day/time in 2023. 2023 is not a leap year, so Feb 29 replays Feb 28 (same hour):
    /// keeping the calendar date keeps seasons and weekdays-of-month aligned for the rest of the year, where a
    /// day-of-year mapping would shift every later day of a leap year by one.
    /// </summary>
    public static DateTimeOffset SameInstantOf2023(DateTimeOffset real)
    {
        var utc = real.UtcDateTime;
        var day = utc.Month == 2 && utc.Day == 29 ? 28 : utc.Day;
        return new DateTimeOffset(2023, utc.Month, day, utc.Hour, utc.Minute, utc.Second, TimeSpan.Zero).AddTicks(utc.Ticks % TimeSpan.TicksPerSecond);
    }
}
