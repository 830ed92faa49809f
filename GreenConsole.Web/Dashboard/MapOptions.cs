namespace GreenConsole.Web.Dashboard;

public sealed class MapOptions
{
    public const string Section = "Map";

    /// <summary>
    /// Optional tile layer URL template (for example an OpenStreetMap tile server your network allows). Empty by
    /// default: the map draws countries from the shipped Natural Earth shapes and needs no internet.
    /// </summary>
    public string? TileUrl { get; set; }

    public string? TileAttribution { get; set; }

    /// <summary>How often the overview refreshes country intensities on the server.</summary>
    [System.ComponentModel.DataAnnotations.Range(5, 3600)]
    public int RefreshSeconds { get; set; } = 60;
}
