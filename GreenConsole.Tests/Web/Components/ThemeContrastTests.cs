using GreenConsole.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Utilities;

namespace GreenConsole.Tests.Web.Components;

/// <summary>WCAG AA (4.5:1 for normal text) for the colours the app puts text in, in both modes.</summary>
public sealed class ThemeContrastTests
{
    private static double Luminance(MudColor c)
    {
        static double Channel(byte v)
        {
            var s = v / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }

        return (0.2126 * Channel(c.R)) + (0.7152 * Channel(c.G)) + (0.0722 * Channel(c.B));
    }

    private static double Contrast(MudColor a, MudColor b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    public static TheoryData<string, bool> Pairs() => new()
    {
        { "app bar text on the app bar", false },
        { "app bar text on the app bar", true },
        { "primary (links, selected nav) on the page", false },
        { "primary (links, selected nav) on the page", true },
        { "error (over threshold) on the page", false },
        { "error (over threshold) on the page", true },
        { "success (reachable) on the page", false },
        { "success (reachable) on the page", true },
        { "warning on the page", false },
        { "warning on the page", true },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Text_colours_meet_WCAG_AA(string pair, bool dark)
    {
        Palette p = dark ? GreenConsoleTheme.Theme.PaletteDark : GreenConsoleTheme.Theme.PaletteLight;
        var (fore, back) = pair switch
        {
            "app bar text on the app bar" => (p.AppbarText, p.AppbarBackground),
            "primary (links, selected nav) on the page" => (p.Primary, p.Background),
            "error (over threshold) on the page" => (p.Error, p.Background),
            "success (reachable) on the page" => (p.Success, p.Background),
            _ => (p.Warning, p.Background),
        };

        var ratio = Contrast(fore, back);
        Assert.True(ratio >= 4.5, $"{pair} ({(dark ? "dark" : "light")}): {fore} on {back} is {ratio:0.00}:1, below 4.5:1");
    }
}
