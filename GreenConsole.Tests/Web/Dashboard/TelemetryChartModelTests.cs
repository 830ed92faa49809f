using GreenConsole.Core.Carbon;
using GreenConsole.Core.Hardware;
using GreenConsole.Tests.Support;
using GreenConsole.Tests.Web.Telemetry;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Dashboard;
using GreenConsole.Web.Telemetry;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Web.Dashboard;

/// <summary>
/// The Telemetry charts' server cost grows with the series drawn; the model keeps it bounded by the zones and the
/// charted clouds, not by the size of the fleet.
/// </summary>
public sealed class TelemetryChartModelTests
{
    private static readonly DateTimeOffset T0 = new(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(5, 3, 8)]
    [InlineData(50, 5, 8)]
    [InlineData(200, 5, 3)]
    public void Intensity_is_drawn_once_per_zone_and_per_cloud_lines_only_for_the_charted_clouds(int cloudCount, int zoneCount, int charted)
    {
        var (store, clouds) = Fleet(cloudCount, zoneCount, samples: 12);
        var selection = TelemetryViewModel.DefaultChartSelection(store, clouds, charted);

        var data = TelemetryViewModel.Charts(store, clouds, selection.ToHashSet());

        var expectedCharted = Math.Min(charted, cloudCount);
        Assert.Equal(expectedCharted, selection.Count);
        Assert.Equal(Enumerable.Range(0, zoneCount).Select(Zone).Order(StringComparer.Ordinal), data.Intensity.Select(s => s.Zone));
        Assert.All(data.Intensity, s => Assert.Equal(12, s.Points.Count));
        Assert.Equal((expectedCharted, cloudCount), (data.ChartedClouds, data.TotalClouds));
        Assert.All(new[] { data.Emissions, data.Cpu, data.Power, data.Memory }, series =>
            Assert.Equal(selection, series.Select(s => s.CloudId)));
        Assert.Empty(data.Gpu);
    }

    [Fact]
    public void Each_distinct_threshold_of_a_zone_gets_one_line_spanning_the_zone_history()
    {
        var (store, clouds) = Fleet(6, 2, samples: 4);
        // Zone Z0 holds clouds 0, 2, 4; give them two distinct thresholds (300 twice, 250 once). Z1 has none.
        clouds = clouds.Select(c => c with { ThresholdGPerKwh = c.Zone == "Z0" ? (c.Id == 4 ? 250 : 300) : null }).ToList();

        var data = TelemetryViewModel.Charts(store, clouds, new HashSet<int>());

        Assert.Equal(["Z0 threshold 250", "Z0 threshold 300"], data.Thresholds.Select(t => t.Zone));
        var z0 = data.Intensity.Single(s => s.Zone == "Z0");
        Assert.All(data.Thresholds, t => Assert.Equal((z0.Points[0].At, z0.Points[^1].At), (t.Points[0].At, t.Points[1].At)));
        Assert.Equal([250.0, 300.0], data.Thresholds.Select(t => t.Points[0].Value));
        Assert.Empty(data.Emissions);
    }

    [Fact]
    public void The_default_selection_prefers_the_clouds_drawing_the_most_power_and_is_stable_without_samples()
    {
        var (store, clouds) = Fleet(6, 1, samples: 3, busyCloud: 4);
        var idle = new[] { Summary(100, "Z9"), Summary(101, "Z9") };

        var selection = TelemetryViewModel.DefaultChartSelection(store, [.. clouds, .. idle], 2);
        var none = TelemetryViewModel.DefaultChartSelection(store, idle, 5);

        Assert.Contains(4, selection);
        Assert.Equal(2, selection.Count);
        Assert.Equal([100, 101], none);
    }

    [Fact]
    public void Values_that_were_not_measured_are_marked_once_per_zone()
    {
        var clock = new TelemetryTestClock(T0);
        var store = new TelemetryStore(Options.Create(new TelemetryOptions()), clock);
        var clouds = new[] { Summary(1, "DE"), Summary(2, "DE") };
        store.SetIntensity("DE", new CarbonIntensityReading("DE", T0, 400, CarbonSignal.LifeCycle, DataQuality.Fallback, "yearly:test", SourceEstimated: true));
        for (var i = 0; i < 3; i++)
        {
            clock.Set(T0.AddSeconds(5 * i));
            foreach (var c in clouds)
            {
                store.RecordSample(c.Id, c.Zone, 1.0, TelemetryTestHost.Sample(c.Id, clock.GetUtcNow(), 0, 0, 0).Sample, TimeSpan.Zero);
            }
        }

        var data = TelemetryViewModel.Charts(store, clouds, new HashSet<int> { 1, 2 });

        Assert.Equal(3, data.NotMeasured.Count);
        Assert.All(data.NotMeasured, p => Assert.Equal(400, p.Value));
    }

    private static string Zone(int i) => $"Z{i}";

    private static (TelemetryStore Store, IReadOnlyList<CloudSummary> Clouds) Fleet(int clouds, int zones, int samples, int? busyCloud = null)
    {
        var clock = new TelemetryTestClock(T0);
        var store = new TelemetryStore(Options.Create(new TelemetryOptions()), clock);
        var summaries = Enumerable.Range(0, clouds).Select(i => Summary(i, Zone(i % zones))).ToList();
        foreach (var z in summaries.Select(c => c.Zone).Distinct())
        {
            store.SetIntensity(z, new CarbonIntensityReading(z, T0, 100, CarbonSignal.LifeCycle, DataQuality.Measured, "test", SourceEstimated: false));
        }

        for (var s = 0; s < samples; s++)
        {
            clock.Set(T0.AddSeconds(5 * s));
            foreach (var c in summaries)
            {
                var sample = TelemetryTestHost.Sample(c.Id, clock.GetUtcNow(), 0, 0, 0).Sample with
                {
                    CpuUtilization = ProbeField<double>.Of(c.Id == busyCloud ? 0.95 : 0.05),
                };
                store.RecordSample(c.Id, c.Zone, 1.0, sample, TimeSpan.Zero);
            }
        }

        return (store, summaries);
    }

    private static CloudSummary Summary(int id, string zone) => new(
        id, "127.0.0.1", 2200 + id, $"u{id}", HasPassword: false, HasKey: true, KeyPath: null, "DE", "Germany", zone,
        ThresholdGPerKwh: null, Pue: 1.0, Label: $"cloud {id}", HostKeyFingerprint: null, T0, T0, null, null, null, null, null);
}
