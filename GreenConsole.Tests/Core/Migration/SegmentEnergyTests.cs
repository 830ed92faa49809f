using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public sealed class SegmentEnergyTests
{
    private static readonly DateTimeOffset T0 = new(2023, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IntensityPoint[] Flat400 = [new(T0, 400), new(T0.AddHours(1), 400)];

    // Hand-computed: one hour, default 0.3 kW, PUE 1.2, 400 g/kWh everywhere.
    [Theory]
    [InlineData(null, null, null, null, 0.3, 144.0, 0.0, 3600.0)]               // no samples: 0.3 kWh × 400 × 1.2
    [InlineData(0.25, 100.0, 0.0, 3600.0, 0.25, 100.0, 3600.0, 0.0)]           // fully covered: the telemetry's own figures
    [InlineData(0.10, 40.0, 0.0, 1800.0, 0.25, 112.0, 1800.0, 1800.0)]         // half: 0.1 + 0.15 kWh; 40 + 0.15 × 480 g
    [InlineData(0.20, 60.0, 0.05, 3600.0, 0.20, 84.0, 3600.0, 0.0)]            // 0.05 kWh had no intensity: priced, 24 g
    [InlineData(0.20, 80.0, 0.0, 9000.0, 0.20, 80.0, 3600.0, 0.0)]             // samples reaching past the segment: clamped
    public void Telemetry_covers_what_it_sampled_and_the_default_power_the_rest(
        double? kwh, double? grams, double? without, double? covered, double expectKwh, double expectGrams, double expectCovered, double expectDefault)
    {
        var telemetry = kwh is null ? null : new TelemetryCoverage(kwh.Value, grams!.Value, without!.Value, covered!.Value);

        var e = SegmentEnergy.Combine(T0, T0.AddHours(1), defaultKw: 0.3, pue: 1.2, Flat400, telemetry);

        Assert.Equal(expectKwh, e.ItKwh, 12);
        Assert.Equal(expectGrams, e.Grams, 9);
        Assert.Equal((expectCovered, expectDefault), (e.CoveredSeconds, e.DefaultSeconds));
    }

    [Fact]
    public void Without_intensities_the_default_energy_is_counted_but_not_priced()
    {
        var e = SegmentEnergy.Combine(T0, T0.AddMinutes(30), 0.2, 1.0, [], null);

        Assert.Equal((0.1, 0.0), (e.ItKwh, e.Grams));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_default_power_is_refused_by_name(double kw)
    {
        var e = Assert.Throws<ArgumentException>(() => SegmentEnergy.Combine(T0, T0.AddHours(1), kw, 1.0, Flat400, null));
        Assert.Contains("Default power", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_that_ends_before_it_starts_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SegmentEnergy.Combine(T0, T0.AddSeconds(-1), 0.3, 1.0, Flat400, null));
    }
}
