using GreenConsole.Core.Carbon;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Telemetry;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Web.Telemetry;

public sealed class TelemetryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_sample_charges_its_interval_at_the_zone_intensity_times_pue_and_gaps_get_nothing()
    {
        var clock = new TelemetryTestClock(T0);
        var store = new TelemetryStore(Options.Create(new TelemetryOptions { MaxGapSeconds = 30 }), clock);
        var reading = new CarbonIntensityReading("DE", T0, 400, CarbonSignal.LifeCycle, DataQuality.Estimated, "trace:test", SourceEstimated: true);
        store.SetIntensity("DE", reading);

        var offsets = new[] { 0, 5, 65, 70 };
        var points = offsets.Select(s => store.RecordSample(7, "DE", 1.2, TelemetryTestHost.Sample(7, T0.AddSeconds(s), 0, 0, 0).Sample, TimeSpan.FromMilliseconds(5)).Point).ToList();

        var watts = points[1].PowerWatts;
        Assert.True(watts > 0);
        Assert.Equal((0.0, 0.0), (points[0].Kwh, points[0].IntervalSeconds));
        Assert.Equal(watts * 5 / 3_600_000, points[1].Kwh, 15);
        Assert.Equal(points[1].Kwh * 400 * 1.2, points[1].Grams, 12);
        Assert.Equal((400.0, DataQuality.Estimated, "trace:test"), (points[1].IntensityGramsPerKwh!.Value, points[1].IntensityQuality!.Value, points[1].IntensitySource!));
        Assert.Equal((0.0, 60.0), (points[2].Kwh, points[2].GapSeconds));
        Assert.Equal(watts * 5 / 3_600_000, points[3].Kwh, 15);

        var snapshot = store.Get(7)!;
        Assert.Equal(points.Sum(p => p.Kwh), snapshot.CumulativeKwh, 15);
        Assert.Equal(points.Sum(p => p.Grams), snapshot.CumulativeGrams, 12);
        Assert.Equal(TimeSpan.FromSeconds(60), snapshot.CumulativeGap);
        Assert.Equal(4, snapshot.Samples);
        Assert.Same(reading, snapshot.Intensity);
    }

    [Fact]
    public void Energy_without_an_intensity_is_counted_apart_and_failures_are_recorded()
    {
        var store = new TelemetryStore(Options.Create(new TelemetryOptions()), new TelemetryTestClock(T0));

        store.RecordSample(3, "KR", 1.0, TelemetryTestHost.Sample(3, T0, 0, 0, 0).Sample, TimeSpan.Zero);
        var second = store.RecordSample(3, "KR", 1.0, TelemetryTestHost.Sample(3, T0.AddSeconds(5), 0, 0, 0).Sample, TimeSpan.Zero).Point;
        store.RecordFailure(3, "KR", 1.0, T0.AddSeconds(10), TimeSpan.FromSeconds(5), RemoteErrorKind.HostUnreachable, "connection refused");

        Assert.True(second.Kwh > 0);
        Assert.Equal(second.Kwh, second.KwhWithoutIntensity);
        Assert.Equal(0, second.Grams);
        Assert.Null(second.IntensitySource);
        var snapshot = store.Get(3)!;
        Assert.Equal((false, RemoteErrorKind.HostUnreachable, 1L, 1), (snapshot.Reachable!.Value, snapshot.LastErrorKind!.Value, snapshot.Failures, snapshot.ConsecutiveFailures));
        Assert.Equal(T0.AddSeconds(5), snapshot.LastSuccessAt);
    }

    [Fact]
    public void The_chart_buffer_is_bounded()
    {
        var clock = new TelemetryTestClock(T0);
        var store = new TelemetryStore(Options.Create(new TelemetryOptions { LiveWindowSeconds = 60, LiveMaxPoints = 10 }), clock);

        for (var i = 0; i < 50; i++)
        {
            clock.Set(T0.AddSeconds(5 * i));
            store.RecordSample(1, "DE", 1.0, TelemetryTestHost.Sample(1, clock.GetUtcNow(), 0, 0, 0).Sample, TimeSpan.Zero);
        }

        var history = store.History(1);
        Assert.Equal(10, history.Count);
        Assert.Equal(clock.GetUtcNow(), history[^1].At);
    }
}
