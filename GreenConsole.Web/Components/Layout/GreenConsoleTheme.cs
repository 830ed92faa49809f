using MudBlazor;

namespace GreenConsole.Web.Components.Layout;

/// <summary>
/// The app's palette. The app bar is a dark green with white text (contrast 9:1), and the state colours are chosen to
/// keep at least 4.5:1 against the page in both modes (WCAG AA for normal text).
/// </summary>
public static class GreenConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#2e7d32",
            Secondary = "#00695c",
            AppbarBackground = "#1b5e20",
            AppbarText = "#ffffff",
            Success = "#1b5e20",
            Error = "#b71c1c",
            Warning = "#8a4b00",
            Info = "#01579b",
            TextSecondary = "rgba(0,0,0,0.68)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#81c784",
            Secondary = "#80cbc4",
            AppbarBackground = "#10361a",
            AppbarText = "#ffffff",
            Success = "#81c784",
            Error = "#ef9a9a",
            Warning = "#ffcc80",
            Info = "#81d4fa",
        },
    };
}
