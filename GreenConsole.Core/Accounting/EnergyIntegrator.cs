namespace GreenConsole.Core.Accounting;

/// <summary>A power reading at an instant.</summary>
public readonly record struct PowerPoint(DateTimeOffset At, double Watts);

/// <summary>
/// Power over one interval, linear from <see cref="WattsFrom"/> to <see cref="WattsTo"/> (equal for left-Riemann).
/// Slicing is exact for that linear shape, so splitting at hour or job boundaries never changes the total.
/// </summary>
public readonly record struct PowerSegment(DateTimeOffset From, DateTimeOffset To, double WattsFrom, double WattsTo)
{
    public TimeSpan Duration => To - From;

    public double Joules => (WattsFrom + WattsTo) / 2 * Duration.TotalSeconds;

    public double Kwh => Joules / EnergyUnits.JoulesPerKwh;

    public double WattsAt(DateTimeOffset at)
    {
        var total = Duration.TotalSeconds;
        if (total <= 0)
        {
            return WattsFrom;
        }

        var f = Math.Clamp((at - From).TotalSeconds / total, 0, 1);
        return WattsFrom + (WattsTo - WattsFrom) * f;
    }

    /// <summary>The part of this segment inside [from, to), or null when they do not overlap.</summary>
    public PowerSegment? Slice(DateTimeOffset from, DateTimeOffset to)
    {
        var start = from > From ? from : From;
        var end = to < To ? to : To;
        return end <= start ? null : new PowerSegment(start, end, WattsAt(start), WattsAt(end));
    }
}

/// <summary>A stretch of time with no usable samples; no energy is attributed to it.</summary>
public readonly record struct EnergyGap(DateTimeOffset From, DateTimeOffset To)
{
    public TimeSpan Duration => To - From;
}

public enum IntegrationMethod
{
    /// <summary>Average of the two end readings over the interval.</summary>
    Trapezoid,

    /// <summary>The earlier reading held over the interval.</summary>
    LeftRiemann,
}

public sealed record EnergyIntegration(IReadOnlyList<PowerSegment> Segments, IReadOnlyList<EnergyGap> Gaps)
{
    public double Joules => Segments.Sum(s => s.Joules);
    public double Kwh => Joules / EnergyUnits.JoulesPerKwh;
    public TimeSpan Covered => TimeSpan.FromTicks(Segments.Sum(s => s.Duration.Ticks));
    public TimeSpan GapTime => TimeSpan.FromTicks(Gaps.Sum(g => g.Duration.Ticks));
}

public static class EnergyUnits
{
    /// <summary>1 kWh = 1000 W × 3600 s. The only conversion factor the accounting uses.</summary>
    public const double JoulesPerKwh = 3_600_000;
}

/// <summary>Integrates power samples into energy. Intervals longer than the max gap are reported, not extrapolated.</summary>
public static class EnergyIntegrator
{
    public static EnergyIntegration Integrate(IEnumerable<PowerPoint> points, TimeSpan maxGap, IntegrationMethod method = IntegrationMethod.Trapezoid)
    {
        if (maxGap <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxGap), maxGap, "The max gap between samples must be positive.");
        }

        var ordered = points.OrderBy(p => p.At).ToList();
        var segments = new List<PowerSegment>();
        var gaps = new List<EnergyGap>();
        for (var i = 1; i < ordered.Count; i++)
        {
            var a = ordered[i - 1];
            var b = ordered[i];
            if (b.At == a.At)
            {
                continue;
            }

            if (b.At - a.At > maxGap)
            {
                gaps.Add(new EnergyGap(a.At, b.At));
                continue;
            }

            var end = method == IntegrationMethod.Trapezoid ? b.Watts : a.Watts;
            segments.Add(new PowerSegment(a.At, b.At, a.Watts, end));
        }

        return new EnergyIntegration(segments, gaps);
    }
}
