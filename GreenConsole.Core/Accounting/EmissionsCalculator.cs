using GreenConsole.Core.Carbon;

namespace GreenConsole.Core.Accounting;

/// <summary>Energy of one hour-aligned slice and the emissions charged to it.</summary>
public sealed record EmissionsLine(PowerSegment Segment, CarbonIntensityReading? Intensity, double Pue)
{
    public double Kwh => Segment.Kwh;

    /// <summary>Grams CO2eq, or 0 when no intensity was known for the slice (see <see cref="EmissionsResult.KwhWithoutIntensity"/>).</summary>
    public double Grams => Intensity is null ? 0 : EmissionsCalculator.Grams(Kwh, Intensity.GramsPerKwh, Pue);
}

public sealed record EmissionsResult(IReadOnlyList<EmissionsLine> Lines)
{
    public double Kwh => Lines.Sum(l => l.Kwh);
    public double Grams => Lines.Sum(l => l.Grams);
    public double KwhWithoutIntensity => Lines.Where(l => l.Intensity is null).Sum(l => l.Kwh);

    /// <summary>The weakest quality among the intensities used.</summary>
    public DataQuality? WorstIntensityQuality => Lines.Where(l => l.Intensity is not null).Select(l => l.Intensity!.Quality).DefaultIfEmpty().Max();
}

/// <summary>
/// Emissions = IT energy (kWh) × grid intensity at that time (g/kWh) × PUE.
/// Units are kept as kWh end to end and converted from joules exactly once (÷ 3.6e6); mixing in factors such as
/// 1000/3600 or 3.6 per interval is how a 1.39× (= 5/3.6) over-count arises, which the unit tests pin against.
/// </summary>
public static class EmissionsCalculator
{
    public static double Grams(double kwh, double gramsPerKwh, double pue)
    {
        if (pue < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pue), pue, "PUE must be at least 1.0.");
        }

        return kwh * gramsPerKwh * pue;
    }

    /// <summary>Splits segments at UTC hour boundaries and charges each slice at the intensity of its hour.</summary>
    public static EmissionsResult Compute(IEnumerable<PowerSegment> segments, Func<DateTimeOffset, CarbonIntensityReading?> intensityForHour, double pue)
    {
        var lines = new List<EmissionsLine>();
        foreach (var segment in segments)
        {
            foreach (var slice in SplitByHour(segment))
            {
                lines.Add(new EmissionsLine(slice, intensityForHour(HourStart(slice.From)), pue));
            }
        }

        return new EmissionsResult(lines);
    }

    public static DateTimeOffset HourStart(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    public static IEnumerable<PowerSegment> SplitByHour(PowerSegment segment)
    {
        var start = segment.From;
        while (start < segment.To)
        {
            var next = HourStart(start).AddHours(1);
            var slice = segment.Slice(start, next < segment.To ? next : segment.To);
            if (slice is not null)
            {
                yield return slice.Value;
            }

            start = next;
        }
    }
}
