using GreenConsole.Web.Live;

namespace GreenConsole.Tests.Web.Live;

public sealed class CircuitActivityMetricsTests
{
    [Fact]
    public void Empty_metrics_report_zero_everywhere()
    {
        var snapshot = new CircuitActivityMetrics(16).Snapshot();

        Assert.Equal(new CircuitActivitySnapshot(0, 0, 0, 0, 0, 0, 0), snapshot);
    }

    [Fact]
    public void Percentiles_of_one_to_one_hundred_are_the_nearest_ranks()
    {
        var metrics = new CircuitActivityMetrics(1000);
        // Shuffled on purpose: the order of arrival must not matter.
        foreach (var ms in Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101))
        {
            metrics.Record(TimeSpan.FromMilliseconds(ms));
        }

        var snapshot = metrics.Snapshot();

        Assert.Equal(100, snapshot.Count);
        Assert.Equal(100, snapshot.Window);
        Assert.Equal(50, snapshot.P50Ms);
        Assert.Equal(95, snapshot.P95Ms);
        Assert.Equal(99, snapshot.P99Ms);
        Assert.Equal(100, snapshot.MaxMs);
    }

    [Theory]
    [InlineData(new double[] { 7 }, 0.95, 7)]
    [InlineData(new double[] { 1, 2 }, 0.50, 1)]
    [InlineData(new double[] { 1, 2 }, 0.51, 2)]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.95, 10)]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.90, 9)]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.0, 1)]
    public void Nearest_rank_percentile(double[] sorted, double p, double expected) =>
        Assert.Equal(expected, CircuitActivityMetrics.Percentile(sorted, p));

    [Fact]
    public void The_ring_keeps_only_the_most_recent_durations()
    {
        var metrics = new CircuitActivityMetrics(4);
        foreach (var ms in new[] { 1000, 1000, 1000, 1, 2, 3, 4 })
        {
            metrics.Record(TimeSpan.FromMilliseconds(ms));
        }

        var snapshot = metrics.Snapshot();

        Assert.Equal(7, snapshot.Count);
        Assert.Equal(4, snapshot.Window);
        Assert.Equal(4, snapshot.MaxMs);
        Assert.Equal(2, snapshot.P50Ms);
    }

    [Fact]
    public async Task Concurrent_recording_loses_nothing()
    {
        var metrics = new CircuitActivityMetrics(100_000);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                metrics.Record(TimeSpan.FromMilliseconds(t + 1));
            }
        })));

        var snapshot = metrics.Snapshot();

        Assert.Equal(40_000, snapshot.Count);
        Assert.Equal(8, snapshot.MaxMs);
        Assert.InRange(snapshot.P50Ms, 1, 8);
    }

    [Fact]
    public void Negative_durations_count_as_zero_and_circuits_are_counted()
    {
        var metrics = new CircuitActivityMetrics(8);
        metrics.Record(TimeSpan.FromMilliseconds(-5));
        metrics.CircuitOpened();
        metrics.CircuitOpened();
        metrics.CircuitClosed();

        var snapshot = metrics.Snapshot();

        Assert.Equal(0, snapshot.MaxMs);
        Assert.Equal(1, snapshot.OpenCircuits);
    }

    [Fact]
    public void Capacity_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitActivityMetrics(0));

    [Theory]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    [InlineData("/jobs", "/jobs")]
    [InlineData("/jobs/j-42?tab=log", "/jobs")]
    [InlineData("/Telemetry/", "/telemetry")]
    [InlineData("/admin/users#new", "/admin")]
    public void Pages_are_keyed_by_their_first_path_segment(string path, string expected) =>
        Assert.Equal(expected, CircuitActivityMetrics.PageKey(path));

    [Fact]
    public void Each_page_has_its_own_percentiles_and_the_slowest_page_leads()
    {
        var metrics = new CircuitActivityMetrics(1000);
        foreach (var ms in Enumerable.Range(1, 20))
        {
            metrics.Record(TimeSpan.FromMilliseconds(ms), "/clouds");
            metrics.Record(TimeSpan.FromMilliseconds(ms * 10), "/telemetry");
        }

        var pages = metrics.Pages();

        Assert.Equal(["/telemetry", "/clouds"], pages.Select(p => p.Page));
        Assert.Equal((20L, 190.0, 200.0), (pages[0].Count, pages[0].P95Ms, pages[0].MaxMs));
        Assert.Equal((20L, 19.0), (pages[1].Count, pages[1].P95Ms));
        Assert.Equal(40, metrics.Snapshot().Count);
    }

    [Fact]
    public void Invented_paths_beyond_the_page_limit_share_one_bucket()
    {
        var metrics = new CircuitActivityMetrics(100);
        for (var i = 0; i < CircuitActivityMetrics.MaxPages + 10; i++)
        {
            metrics.Record(TimeSpan.FromMilliseconds(1), $"/p{i}");
        }

        var pages = metrics.Pages();

        Assert.Equal(CircuitActivityMetrics.MaxPages + 1, pages.Count);
        Assert.Equal(10, pages.Single(p => p.Page == "(other)").Count);
    }
}
