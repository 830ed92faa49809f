namespace GreenConsole.Web.Dashboard;

/// <summary>
/// Approximate centres of the grid zones that ship with hourly data, for placing cloud markers. Zones not listed
/// are placed at their country's centre by the map itself.
/// </summary>
public static class ZoneLocations
{
    private static readonly Dictionary<string, (double Lat, double Lon)> Centres = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AU-NSW"] = (-32.5, 147.0),
        ["AU-VIC"] = (-37.0, 144.5),
        ["BR-CS"] = (-20.0, -47.0),
        ["CA-ON"] = (50.0, -85.0),
        ["CL-SEN"] = (-33.0, -71.0),
        ["DE"] = (51.0, 10.3),
        ["GB"] = (53.5, -1.8),
        ["IN-WE"] = (20.0, 75.0),
        ["JP-TK"] = (35.7, 139.7),
        ["KR"] = (36.5, 127.8),
        ["SG"] = (1.35, 103.8),
        ["US-CAL-CISO"] = (37.0, -120.0),
        ["US-MIDA-PJM"] = (40.0, -78.0),
        ["US-NY-NYIS"] = (43.0, -75.5),
        ["US-TEX-ERCO"] = (31.0, -99.0),
        ["ZA"] = (-29.0, 24.0),
    };

    public static (double Lat, double Lon)? Of(string zone) => Centres.TryGetValue(zone, out var c) ? c : null;
}
