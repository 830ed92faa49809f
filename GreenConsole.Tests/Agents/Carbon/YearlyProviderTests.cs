using System.Globalization;
using GreenConsole.Agents.Carbon.Yearly;
using GreenConsole.Core.Carbon;
using GreenConsole.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Carbon;

public class YearlyProviderTests
{
    private static readonly TelemetryTestClock Clock = new(new DateTimeOffset(2025, 6, 1, 12, 34, 0, TimeSpan.Zero));

    private static YearlyCarbonIntensityProvider Provider() =>
        new(Options.Create(new CarbonYearlyOptions { FilePath = TelemetryRepoPaths.Yearly }), Clock, NullLogger<YearlyCarbonIntensityProvider>.Instance);

    /// <summary>The shipped table read independently of the code under test (the framework's TextFieldParser).</summary>
    private static readonly Lazy<List<string[]>> Rows = new(() =>
    {
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(TelemetryRepoPaths.Yearly) { HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        parser.ReadFields();
        var rows = new List<string[]>();
        while (parser.ReadFields() is { } f)
        {
            rows.Add(f);
        }

        return rows;
    });

    private static (double Direct, double Lca) Row(string zone)
    {
        var f = Rows.Value.Single(r => r[3] == zone);
        return (double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("FR")]
    [InlineData("NO")]
    [InlineData("NO-NO1")]
    [InlineData("DE")]
    public async Task Zone_in_the_table_gives_its_yearly_average_marked_fallback(string zone)
    {
        var expected = Row(zone);

        var lca = await Provider().GetCurrentAsync(zone, CarbonSignal.LifeCycle, CancellationToken.None);
        var direct = await Provider().GetCurrentAsync(zone, CarbonSignal.Direct, CancellationToken.None);

        Assert.Equal(expected.Lca, lca!.GramsPerKwh, 6);
        Assert.Equal(expected.Direct, direct!.GramsPerKwh, 6);
        Assert.Equal(DataQuality.Fallback, lca.Quality);
        Assert.Equal("yearly:electricitymaps-2024", lca.Source);
        Assert.Contains("yearly average", lca.Note);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero), lca.At);
    }

    [Fact]
    public async Task Bare_country_without_a_national_row_uses_the_mean_of_its_sub_zones()
    {
        // Russia is in the table only as RU-1, RU-2 and RU-AS; the USA has its own national row.
        var subZones = Rows.Value.Where(f => f[3].StartsWith("RU-", StringComparison.Ordinal)).ToList();
        var expected = subZones.Average(f => double.Parse(f[5], CultureInfo.InvariantCulture));

        var reading = await Provider().GetCurrentAsync("RU", CarbonSignal.LifeCycle, CancellationToken.None);
        var usa = await Provider().GetCurrentAsync("US", CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(Row("US").Lca, usa!.GramsPerKwh, 6);
        Assert.Equal(3, subZones.Count);

        Assert.Equal(expected, reading!.GramsPerKwh, 6);
        Assert.Contains($"mean of {subZones.Count} sub-zones", reading.Note);
        Assert.Equal(DataQuality.Fallback, reading.Quality);
    }

    [Fact]
    public async Task Unknown_sub_zone_uses_its_parent_and_UK_means_GB()
    {
        var parent = await Provider().GetCurrentAsync("DE-XX", CarbonSignal.LifeCycle, CancellationToken.None);
        var uk = await Provider().GetCurrentAsync("uk", CarbonSignal.LifeCycle, CancellationToken.None);

        Assert.Equal(Row("DE").Lca, parent!.GramsPerKwh, 6);
        Assert.Contains("parent", parent.Note);
        Assert.Equal(Row("GB").Lca, uk!.GramsPerKwh, 6);
    }

    [Fact]
    public void The_table_has_352_zones_including_the_quoted_row()
    {
        Assert.Equal(352, Rows.Value.Count);
        Assert.True(Provider().Supports("US-CAR-YAD"));
    }

    [Fact]
    public void Unknown_country_is_unsupported()
    {
        Assert.False(Provider().Supports("XX"));
        Assert.True(Provider().Supports("fr"));
    }
}
