using System.Globalization;

namespace GreenConsole.Core.Carbon;

/// <summary>The provenance a person reads next to a carbon figure, the same on every page, report and CLI output.</summary>
public static class CarbonProvenance
{
    /// <summary>
    /// "Measured" only for a value observed for the hour it is shown for; a value recorded at another time and replayed
    /// now is "Replayed (2023)"; otherwise the quality's name.
    /// </summary>
    public static string Label(CarbonIntensityReading reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        if (reading.Quality is DataQuality.Measured or DataQuality.Estimated && reading.RecordedAt is { } recorded && recorded != reading.At)
        {
            var year = recorded.UtcDateTime.Year.ToString(CultureInfo.InvariantCulture);
            return reading.Quality == DataQuality.Estimated ? $"Estimated, replayed ({year})" : $"Replayed ({year})";
        }

        return reading.Quality.ToString();
    }

    /// <summary>Where the figure came from, with its note (for a replay: the original hour), for a tooltip.</summary>
    public static string Detail(CarbonIntensityReading reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        return reading.Note is null ? reading.Source : $"{reading.Source} · {reading.Note}";
    }
}
