using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;

namespace GreenConsole.Tests.Core.Accounting;

public class EmissionsTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static CarbonIntensityReading Intensity(double g, DateTimeOffset at) =>
        new("DE", at, g, CarbonSignal.LifeCycle, DataQuality.Measured, "test");

    // 300 W for one hour = 0.3 kWh; × 400 g/kWh = 120 g; × PUE. The Green Accounting Platform's unit bug over-counted
    // by 1.39× (= 5/3.6, what a stray 1000/3600-style factor produces); exact values rule any such factor out.
    [Theory]
    [InlineData(1.0, 120.0)]
    [InlineData(1.2, 144.0)]
    public void Constant_300W_for_one_hour_at_400g_is_exact(double pue, double expectedGrams)
    {
        var points = Enumerable.Range(0, 61).Select(m => new PowerPoint(T0.AddMinutes(m), 300));
        var energy = EnergyIntegrator.Integrate(points, TimeSpan.FromMinutes(3));

        var result = EmissionsCalculator.Compute(energy.Segments, _ => Intensity(400, T0), pue);

        Assert.Equal(0.3, energy.Kwh, 12);
        Assert.Equal(expectedGrams, result.Grams, 9);
        Assert.NotEqual(expectedGrams * 1.39, result.Grams, 3);
        Assert.Equal(expectedGrams, EmissionsCalculator.Grams(0.3, 400, pue), 9);
    }

    [Fact]
    public void Each_hour_is_charged_at_its_own_intensity()
    {
        // 1000 W from 10:30 to 11:30: half a kWh in each hour, at 100 then 500 g/kWh → 50 + 250 = 300 g.
        var points = new[] { new PowerPoint(T0.AddMinutes(30), 1000), new PowerPoint(T0.AddMinutes(90), 1000) };
        var energy = EnergyIntegrator.Integrate(points, TimeSpan.FromHours(2));

        var result = EmissionsCalculator.Compute(energy.Segments, hour => Intensity(hour == T0 ? 100 : 500, hour), 1.0);

        Assert.Equal(2, result.Lines.Count);
        Assert.Equal(1.0, result.Kwh, 12);
        Assert.Equal(300, result.Grams, 9);
    }

    [Fact]
    public void Trapezoid_splits_exactly_at_an_hour_boundary()
    {
        // Linear ramp 0 → 1200 W over 10:40–11:20. Energy before 11:00: ramp 0 → 600 W over 20 min = 300 W × 1/3 h = 100 Wh.
        var points = new[] { new PowerPoint(T0.AddMinutes(40), 0), new PowerPoint(T0.AddMinutes(80), 1200) };
        var energy = EnergyIntegrator.Integrate(points, TimeSpan.FromHours(1));

        var lines = EmissionsCalculator.Compute(energy.Segments, h => Intensity(1000, h), 1.0).Lines;

        Assert.Equal(0.1, lines[0].Kwh, 12);
        Assert.Equal(0.3, lines[1].Kwh, 12);
        Assert.Equal(0.4, energy.Kwh, 12);
    }

    [Theory]
    [InlineData(IntegrationMethod.Trapezoid, 150.0)]
    [InlineData(IntegrationMethod.LeftRiemann, 100.0)]
    public void Integration_methods_differ_as_documented(IntegrationMethod method, double expectedWh)
    {
        var points = new[] { new PowerPoint(T0, 100), new PowerPoint(T0.AddHours(1), 200) };

        var energy = EnergyIntegrator.Integrate(points, TimeSpan.FromHours(2), method);

        Assert.Equal(expectedWh / 1000, energy.Kwh, 12);
    }

    [Fact]
    public void Gaps_longer_than_the_max_are_reported_and_not_extrapolated()
    {
        // Samples every 10 s for 1 min, a 10-minute hole, then 1 more minute; max gap 30 s.
        var first = Enumerable.Range(0, 7).Select(i => new PowerPoint(T0.AddSeconds(10 * i), 360));
        var second = Enumerable.Range(0, 7).Select(i => new PowerPoint(T0.AddMinutes(11).AddSeconds(10 * i), 360));

        var energy = EnergyIntegrator.Integrate(first.Concat(second), TimeSpan.FromSeconds(30));

        Assert.Single(energy.Gaps);
        Assert.Equal(TimeSpan.FromMinutes(10), energy.GapTime);
        Assert.Equal(TimeSpan.FromMinutes(2), energy.Covered);
        Assert.Equal(360 * 120 / 3_600_000.0, energy.Kwh, 12); // 2 minutes at 360 W = 12 Wh, nothing for the hole
    }

    [Fact]
    public void Missing_intensity_is_reported_not_guessed()
    {
        var energy = EnergyIntegrator.Integrate([new PowerPoint(T0, 1000), new PowerPoint(T0.AddHours(1), 1000)], TimeSpan.FromHours(2));

        var result = EmissionsCalculator.Compute(energy.Segments, _ => null, 1.0);

        Assert.Equal(0, result.Grams);
        Assert.Equal(1.0, result.KwhWithoutIntensity, 12);
    }

    [Fact]
    public void Pue_below_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EmissionsCalculator.Grams(1, 100, 0.9));
    }
}
