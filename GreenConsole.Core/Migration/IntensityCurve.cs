namespace GreenConsole.Core.Migration;

/// <summary>
/// Integrates an expected intensity path over a window: the live reading holds until the end of the current
/// hour (a measurement beats a forecast), then forecast points apply from their hour start, and where the
/// forecast has no point the last value carries forward (persistence).
/// </summary>
public static class IntensityCurve
{
    /// <summary>Σ intensity × hours over [<paramref name="from"/>, from + window), in (g/kWh)·h.</summary>
    /// <exception cref="ArgumentException">The forecast is not sorted by hour start.</exception>
    public static double IntegrateGramHoursPerKwh(
        DateTimeOffset from, TimeSpan window, double current, IReadOnlyList<IntensityPoint>? forecast, string cloudId = "")
    {
        if (window <= TimeSpan.Zero)
            return 0;
        if (forecast is null || forecast.Count == 0)
            return current * window.TotalHours;

        var end = from + window;
        var currentHourEnd = FloorToHour(from) + TimeSpan.FromHours(1);
        var t = from;
        var segEnd = currentHourEnd < end ? currentHourEnd : end;
        var total = current * (segEnd - t).TotalHours;
        t = segEnd;
        var value = current;
        var j = 0;
        var n = forecast.Count;
        var previous = DateTimeOffset.MinValue;
        while (t < end)
        {
            while (j < n && forecast[j].HourStart <= t)
            {
                var p = forecast[j];
                if (p.HourStart < previous)
                    throw new ArgumentException($"Forecast for cloud '{cloudId}' is not sorted by hour start (at {p.HourStart:O}).", nameof(forecast));
                previous = p.HourStart;
                if (p.HourStart >= currentHourEnd)
                    value = p.GPerKwh;
                j++;
            }

            segEnd = t + TimeSpan.FromHours(1);
            if (segEnd > end)
                segEnd = end;
            if (j < n && forecast[j].HourStart < segEnd)
                segEnd = forecast[j].HourStart;
            total += value * (segEnd - t).TotalHours;
            t = segEnd;
        }

        return total;
    }

    public static DateTimeOffset FloorToHour(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
}
