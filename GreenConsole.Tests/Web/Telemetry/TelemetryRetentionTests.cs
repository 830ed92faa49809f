using GreenConsole.Tests.Support;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Tests.Web.Telemetry;

public sealed class TelemetryRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_simulated_month_stays_bounded_and_keeps_energy_and_co2_sums()
    {
        // 32 days of one sample every 30 s for two clouds (the second sampled every 2 min), with the retention job run every two simulated hours.
        var clock = new TelemetryTestClock(T0);
        await using var host = await TelemetryTestHost.StartAsync(clock, new Dictionary<string, string?>
        {
            ["Telemetry:WriterBatchSize"] = "5000",
            ["Telemetry:WriterFlushSeconds"] = "3600",
        });
        var writer = host.Get<TelemetryWriter>();
        var retention = host.Get<TelemetryRetention>();
        const int Step = 30;
        const int Days = 32;
        double kwh = 0, grams = 0, wattSeconds = 0;
        long samples = 0;
        var maxRows = 0L;
        for (var hour = 0; hour < Days * 24; hour++)
        {
            for (var s = 0; s < 3600 / Step; s++)
            {
                var at = T0.AddHours(hour).AddSeconds(s * Step);
                foreach (var cloud in s % 4 == 0 ? new[] { 1, 2 } : new[] { 1 })
                {
                    // Power follows a daily wave so roll-ups have distinct min, max and mean.
                    var watts = 100 + 50 * Math.Sin(2 * Math.PI * (at - T0).TotalHours / 24) + cloud;
                    var k = watts * Step / 3_600_000.0;
                    var g = k * (200 + hour % 24 * 10);
                    writer.Enqueue(TelemetryTestHost.Sample(cloud, at, watts, k, g / k));
                    kwh += k;
                    grams += g;
                    wattSeconds += watts;
                    samples++;
                }
            }

            if (hour % 2 == 0)
            {
                continue;
            }

            clock.Set(T0.AddHours(hour + 1));
            await writer.FlushAsync(CancellationToken.None);
            await retention.ApplyAsync(CancellationToken.None);
            if (hour % 24 == 23)
            {
                maxRows = Math.Max(maxRows, await host.ScalarAsync("SELECT count(*) FROM EmissionSamples"));
            }
        }

        Assert.Equal(samples, writer.Stats.Samples);
        var now = clock.GetUtcNow();
        var rawCutoff = (now - TimeSpan.FromHours(24)).ToUnixTimeMilliseconds();
        var minuteCutoff = (now - TimeSpan.FromDays(30)).ToUnixTimeMilliseconds();

        // Raw only within the last day, per-minute only between 1 and 30 days, hourly beyond.
        foreach (var table in new[] { "HardwareSamples", "PowerSamples", "EmissionSamples" })
        {
            Assert.Equal(0, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 0 AND AtMs < {rawCutoff}"));
            Assert.Equal(0, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 1 AND AtMs < {minuteCutoff}"));
            Assert.Equal(0, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 1 AND AtMs >= {rawCutoff}"));
            Assert.Equal(samples, await host.ScalarAsync($"SELECT sum(Count) FROM {table}"));
            Assert.Equal(24 * 3600 / Step * 5 / 4, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 0"));
            Assert.Equal(29 * 24 * 60 * 3 / 2, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 1"));
            Assert.Equal(2 * 2 * 24, await host.ScalarAsync($"SELECT count(*) FROM {table} WHERE Resolution = 2"));
        }

        // Rows stay bounded: one day raw, 29 days per minute, hourly before that.
        var total = await host.ScalarAsync("SELECT count(*) FROM EmissionSamples");
        Assert.True(total < samples * 3 / 5, $"{total} rows kept of {samples} samples");
        Assert.True(maxRows <= 2 * (26 * 3600 / Step + 30 * 24 * 60 + 24 * Days), $"at most {maxRows} rows at a day's end");

        // Sums and count-weighted means survive every roll-up.
        Assert.Equal(kwh, await host.RealAsync("SELECT sum(Kwh) FROM EmissionSamples"), 6);
        Assert.Equal(grams, await host.RealAsync("SELECT sum(Grams) FROM EmissionSamples"), 3);
        Assert.Equal(samples * 5.0, await host.RealAsync("SELECT sum(IntervalSeconds) FROM EmissionSamples"), 3);
        Assert.Equal(wattSeconds, await host.RealAsync("SELECT sum(TotalWatts * Count) FROM PowerSamples"), 3);
        Assert.True(await host.RealAsync("SELECT min(TotalWattsMin) FROM PowerSamples WHERE Resolution = 2") < 55);
        Assert.True(await host.RealAsync("SELECT max(TotalWattsMax) FROM PowerSamples WHERE Resolution = 2") > 148);
        Assert.Equal(3600 / Step, await host.ScalarAsync("SELECT max(Count) FROM PowerSamples WHERE Resolution = 2"));
        Assert.Equal(1, await host.ScalarAsync("SELECT count(DISTINCT CpuMethod) FROM PowerSamples"));

        var totals = await host.Get<TelemetryQueries>().GetEmissionTotalsAsync(T0, now, null, CancellationToken.None);
        Assert.Equal(kwh, totals.Sum(t => t.Kwh), 6);
        Assert.Equal(samples, totals.Sum(t => t.Samples));

        // Planning again at the same instant changes nothing.
        var again = await retention.ApplyAsync(CancellationToken.None);
        Assert.Equal(0, again.Deleted);
        Assert.Equal(0, again.Inserted);

        var hourly = await host.Get<TelemetryQueries>().GetSeriesAsync(1, T0, T0.AddDays(1), SeriesResolution.Hour, CancellationToken.None);
        Assert.Equal(24, hourly.Count);
        Assert.All(hourly, p => Assert.Equal(3600 / Step, p.Count));
    }
}
