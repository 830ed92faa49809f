using GreenConsole.Core.Accounting;

namespace GreenConsole.Tests.Core.Accounting;

public class RetentionPlannerTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_simulated_month_of_30_second_samples_stays_bounded()
    {
        // Two series polled every 30 s for 32 days; the planner runs every 6 hours, as a periodic job would.
        var store = new List<MetricPoint>();
        var now = Start;
        var end = Start.AddDays(32);
        var totalSamples = 0L;
        while (now < end)
        {
            for (var t = now; t < now.AddHours(6); t = t.AddSeconds(30))
            {
                store.Add(MetricPoint.Raw("c1.power", t, 100 + t.Minute));
                store.Add(MetricPoint.Raw("c2.power", t, 50));
                totalSamples += 2;
            }

            now = now.AddHours(6);
            store = RetentionPlanner.Apply(store, RetentionPlanner.Plan(store, now));
        }

        var perSeries = store.Where(p => p.Series == "c1.power").ToList();
        var raw = perSeries.Count(p => p.Resolution == MetricResolution.Raw);
        var minutes = perSeries.Count(p => p.Resolution == MetricResolution.Minute);
        var hours = perSeries.Count(p => p.Resolution == MetricResolution.Hour);

        Assert.Equal(24 * 120, raw);                    // the last 24 h raw
        Assert.Equal(29 * 24 * 60, minutes);            // the next 29 days per minute
        Assert.Equal(2 * 24, hours);                    // the 2 days beyond 30 days hourly
        // Bounded by the policy, not by how long it ran: 2 series × (24 h raw + 29 d of minutes + hours beyond).
        Assert.Equal(2 * (24 * 120 + 29 * 1440 + 2 * 24), store.Count);

        // No sample is lost from the aggregates: counts add up to what was written.
        Assert.Equal(totalSamples, store.Sum(p => (long)p.Count));
        // Hourly means are true weighted means (minute m has value 100 + m → hour mean 129.5).
        Assert.All(perSeries.Where(p => p.Resolution == MetricResolution.Hour), h => Assert.Equal(129.5, h.Mean, 9));
        Assert.All(perSeries.Where(p => p.Resolution == MetricResolution.Hour), h => Assert.Equal((100, 159, 120), (h.Min, h.Max, h.Count)));
    }

    [Fact]
    public void Planning_again_after_applying_changes_nothing()
    {
        var now = Start.AddDays(2);
        var store = Enumerable.Range(0, 2 * 24 * 60).Select(m => MetricPoint.Raw("s", Start.AddMinutes(m).AddSeconds(7), m)).ToList();

        store = RetentionPlanner.Apply(store, RetentionPlanner.Plan(store, now));
        var second = RetentionPlanner.Plan(store, now);

        Assert.Empty(second.Delete);
        Assert.Empty(second.Insert);
    }

    [Fact]
    public void A_late_raw_sample_is_merged_into_its_existing_minute()
    {
        var now = Start.AddDays(2);
        var store = new List<MetricPoint> { MetricPoint.Raw("s", Start.AddSeconds(10), 10), MetricPoint.Raw("s", Start.AddSeconds(20), 20) };
        store = RetentionPlanner.Apply(store, RetentionPlanner.Plan(store, now));
        store.Add(MetricPoint.Raw("s", Start.AddSeconds(30), 60));

        store = RetentionPlanner.Apply(store, RetentionPlanner.Plan(store, now));

        var minute = Assert.Single(store);
        Assert.Equal((MetricResolution.Minute, 30.0, 3), (minute.Resolution, minute.Mean, minute.Count));
    }

    [Fact]
    public void Recent_samples_are_untouched()
    {
        var now = Start.AddHours(5);
        var store = Enumerable.Range(0, 100).Select(i => MetricPoint.Raw("s", Start.AddMinutes(i), i)).ToList();

        var plan = RetentionPlanner.Plan(store, now);

        Assert.Empty(plan.Delete);
        Assert.Empty(plan.Insert);
    }
}
