using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Web.Dashboard;

/// <summary>Section "Dashboard": how much the live pages draw, which bounds the server's render cost per circuit.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>
    /// Clouds drawn per chart on the Telemetry page until the user picks others. Every series is an SVG path that the
    /// server renders and diffs for each open page, so a fleet of hundreds must not mean hundreds of lines per chart.
    /// </summary>
    [Range(1, 64)]
    public int ChartClouds { get; set; } = 8;

    /// <summary>
    /// Seconds between two redraws of the Telemetry charts. Samples arrive every few seconds per cloud, so redrawing
    /// faster than that only costs server time; the table above the charts still updates every second.
    /// </summary>
    [Range(1, 300)]
    public int ChartRefreshSeconds { get; set; } = 5;
}
