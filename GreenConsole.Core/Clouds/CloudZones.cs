using System.Text.RegularExpressions;

namespace GreenConsole.Core.Clouds;

/// <summary>Grid-zone identifiers (Electricity Maps style: <c>DE</c>, <c>US-CAL-CISO</c>, <c>JP-TK</c>).</summary>
public static partial class CloudZones
{
    /// <summary>
    /// The zone a cloud gets when its CSV row names none. This is the single place that maps a country to a zone:
    /// the country code itself. Countries with sub-national grids (US, CA, AU, JP, IN, ...) keep the country code
    /// too, and the carbon layer falls back from it (e.g. to a yearly country value) when no exact zone exists.
    /// </summary>
    public static string DefaultZoneFor(string countryCode) => countryCode.Trim().ToUpperInvariant();

    /// <summary>Two letters, then up to three dash-separated parts of letters and digits.</summary>
    public static bool IsValidZoneId(string? zone) => zone is not null && ZonePattern().IsMatch(zone);

    public static string Normalize(string zone) => zone.Trim().ToUpperInvariant();

    /// <summary>The country part of a zone id (<c>US</c> for <c>US-CAL-CISO</c>).</summary>
    public static string CountryOf(string zone)
    {
        var dash = zone.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? zone : zone[..dash];
    }

    [GeneratedRegex("^[A-Z]{2}(-[A-Z0-9]{1,12}){0,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex ZonePattern();
}
