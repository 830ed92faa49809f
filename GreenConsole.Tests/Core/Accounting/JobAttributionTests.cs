using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;

namespace GreenConsole.Tests.Core.Accounting;

public class JobAttributionTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static CloudEnergy Cloud(double watts, double gPerKwh, double pue, params (int FromMin, int ToMin)[] sampled)
    {
        var points = sampled.SelectMany(r => Enumerable.Range(r.FromMin, r.ToMin - r.FromMin + 1).Select(m => new PowerPoint(T0.AddMinutes(m), watts)));
        return new CloudEnergy(EnergyIntegrator.Integrate(points, TimeSpan.FromMinutes(3)),
            h => new CarbonIntensityReading("Z", h, gPerKwh, CarbonSignal.LifeCycle, DataQuality.Measured, "test"), pue);
    }

    [Fact]
    public void A_migrated_job_is_charged_each_cloud_for_its_own_time()
    {
        var clouds = new Dictionary<string, CloudEnergy>
        {
            ["a"] = Cloud(600, 500, 1.0, (0, 240)),   // sampled 00:00–04:00
            ["b"] = Cloud(300, 100, 1.5, (0, 240)),
        };
        var runs = new[]
        {
            new JobInterval("job1", "a", T0.AddMinutes(30), T0.AddMinutes(90)),   // 1 h on a: 0.6 kWh × 500 = 300 g
            new JobInterval("job1", "b", T0.AddMinutes(100), T0.AddMinutes(220)), // 2 h on b: 0.6 kWh × 100 × 1.5 = 90 g
            new JobInterval("job2", "b", T0, T0.AddMinutes(30)),                  // 0.5 h on b: 0.15 kWh × 150 = 22.5 g
        };

        var footprints = JobAttribution.Attribute(runs, clouds).ToDictionary(f => f.JobId);

        Assert.Equal(1.2, footprints["job1"].Kwh, 9);
        Assert.Equal(390, footprints["job1"].Grams, 9);
        Assert.Equal(TimeSpan.Zero, footprints["job1"].GapTime);
        Assert.Equal(22.5, footprints["job2"].Grams, 9);
    }

    [Fact]
    public void Job_time_without_samples_is_gap_time_with_nothing_attributed()
    {
        // Samples only 00:00–00:30 and 01:30–02:00; the job runs 00:00–02:00.
        var clouds = new Dictionary<string, CloudEnergy> { ["a"] = Cloud(1000, 200, 1.0, (0, 30), (90, 120)) };

        var footprint = Assert.Single(JobAttribution.Attribute([new JobInterval("j", "a", T0, T0.AddHours(2))], clouds));

        Assert.Equal(1.0, footprint.Kwh, 9);
        Assert.Equal(200, footprint.Grams, 9);
        Assert.Equal(TimeSpan.FromHours(1), footprint.GapTime);
    }

    [Fact]
    public void Unknown_cloud_gives_all_gap()
    {
        var footprint = Assert.Single(JobAttribution.Attribute([new JobInterval("j", "nowhere", T0, T0.AddHours(1))], new Dictionary<string, CloudEnergy>()));

        Assert.Equal(0, footprint.Kwh);
        Assert.Equal(TimeSpan.FromHours(1), footprint.GapTime);
    }
}
