using GreenConsole.Core.Carbon;
using GreenConsole.Web.Telemetry;

namespace GreenConsole.Tests.Web.Telemetry;

public sealed class TelemetryIngestionTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Samples_are_written_in_batches_of_the_configured_size()
    {
        await using var host = await TelemetryTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Telemetry:WriterBatchSize"] = "100",
            ["Telemetry:WriterFlushSeconds"] = "3600",
        });
        var writer = host.Get<TelemetryWriter>();

        for (var i = 0; i < 250; i++)
        {
            Assert.True(writer.Enqueue(TelemetryTestHost.Sample(i % 3 + 1, T0.AddSeconds(5 * i), 100 + i, 0.001 * i, 400)));
        }

        // Two full batches go out on their own; the last 50 wait for the (hour-long) flush deadline.
        await TelemetryTestHost.WaitUntilAsync(async () => await host.ScalarAsync("SELECT count(*) FROM PowerSamples") == 200, TimeSpan.FromSeconds(30), "two batches");
        Assert.Equal(2, writer.Stats.Batches);
        Assert.Equal(200, await host.ScalarAsync("SELECT count(*) FROM HardwareSamples"));
        Assert.Equal(200, await host.ScalarAsync("SELECT count(*) FROM EmissionSamples"));

        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(250, await host.ScalarAsync("SELECT count(*) FROM PowerSamples"));
        Assert.Equal(3, writer.Stats.Batches);
        Assert.Equal(250, writer.Stats.Samples);
        Assert.Equal(0, writer.Stats.Dropped);
        var expectedKwh = Enumerable.Range(0, 250).Sum(i => 0.001 * i);
        Assert.Equal(expectedKwh, await host.RealAsync("SELECT sum(Kwh) FROM EmissionSamples"), 9);
        Assert.Equal(expectedKwh * 400, await host.RealAsync("SELECT sum(Grams) FROM EmissionSamples"), 6);
        Assert.Equal(1, await host.ScalarAsync($"SELECT count(*) FROM PowerSamples WHERE CloudId = 2 AND AtMs = {T0.AddSeconds(5).ToUnixTimeMilliseconds()} AND TotalWatts = 101 AND CpuMethod = 'test: fixed watts' AND Resolution = 0 AND Count = 1"));
        Assert.Equal(250, await host.ScalarAsync("SELECT count(*) FROM HardwareSamples WHERE Missing LIKE '%nvidia-smi not installed%'"));
    }

    [Fact]
    public async Task A_partial_batch_is_written_after_the_flush_interval()
    {
        await using var host = await TelemetryTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Telemetry:WriterBatchSize"] = "1000",
            ["Telemetry:WriterFlushSeconds"] = "0.2",
        });
        var writer = host.Get<TelemetryWriter>();

        for (var i = 0; i < 3; i++)
        {
            writer.Enqueue(TelemetryTestHost.Sample(1, T0.AddSeconds(5 * i), 50, 0.01, 300));
        }

        await TelemetryTestHost.WaitUntilAsync(async () => await host.ScalarAsync("SELECT count(*) FROM EmissionSamples") == 3, TimeSpan.FromSeconds(30), "the timed flush");
        Assert.Equal(1, writer.Stats.Batches);
    }

    [Fact]
    public async Task Carbon_readings_keep_one_row_per_zone_signal_and_hour_with_provenance()
    {
        await using var host = await TelemetryTestHost.StartAsync();
        var writer = host.Get<TelemetryWriter>();
        var first = new CarbonIntensityReading("KR", T0, 420, CarbonSignal.LifeCycle, DataQuality.Measured, "trace:electricitymaps-2023") { Note = "replay" };

        writer.Enqueue(first, T0);
        writer.Enqueue(first.AsStale(TimeSpan.FromMinutes(12)) with { GramsPerKwh = 421 }, T0.AddMinutes(12));
        writer.Enqueue(first with { Signal = CarbonSignal.Direct, GramsPerKwh = 380 }, T0);
        writer.Enqueue(first with { At = T0.AddHours(1), GramsPerKwh = 410 }, T0.AddHours(1));
        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(3, await host.ScalarAsync("SELECT count(*) FROM CarbonReadings"));
        Assert.Equal(421, await host.RealAsync($"SELECT GramsPerKwh FROM CarbonReadings WHERE Zone = 'KR' AND Signal = 0 AND AtMs = {T0.ToUnixTimeMilliseconds()}"));
        Assert.Equal((long)DataQuality.Stale, await host.ScalarAsync($"SELECT Quality FROM CarbonReadings WHERE Signal = 0 AND AtMs = {T0.ToUnixTimeMilliseconds()}"));
        Assert.Equal(720, await host.RealAsync($"SELECT AgeSeconds FROM CarbonReadings WHERE Signal = 0 AND AtMs = {T0.ToUnixTimeMilliseconds()}"));

        var history = await host.Get<TelemetryQueries>().GetCarbonHistoryAsync("kr", T0, T0.AddHours(2), CarbonSignal.LifeCycle, CancellationToken.None);
        Assert.Equal([421.0, 410.0], history.Where(r => r.At < T0.AddHours(2)).Take(2).Select(r => r.GramsPerKwh));
        Assert.Equal("trace:electricitymaps-2023", history[0].Source);
        Assert.Equal(DataQuality.Stale, history[0].Quality);
    }

    [Fact]
    public async Task Sample_stream_subscribers_get_batches_and_drop_the_oldest_when_behind()
    {
        await using var host = await TelemetryTestHost.StartAsync();
        var store = host.Get<TelemetryStore>();
        using var all = store.SubscribeSamples(capacity: 4);
        using var onlyTwo = store.SubscribeSamples(capacity: 100, cloudId: 2);

        for (var i = 0; i < 10; i++)
        {
            var s = TelemetryTestHost.Sample(i % 2 + 1, T0.AddSeconds(5 * i), 80, 0, 0);
            store.RecordSample(i % 2 + 1, "DE", 1.2, s.Sample, TimeSpan.FromMilliseconds(3));
        }

        Assert.Equal(6, all.Dropped);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var batches = all.ReadBatchesAsync(100, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await batches.MoveNextAsync());
        Assert.Equal([T0.AddSeconds(30), T0.AddSeconds(35), T0.AddSeconds(40), T0.AddSeconds(45)], batches.Current.Select(p => p.At));

        var mine = new List<TelemetryPoint>();
        while (onlyTwo.Reader.TryRead(out var p))
        {
            mine.Add(p);
        }

        Assert.Equal(5, mine.Count);
        Assert.All(mine, p => Assert.Equal(2, p.CloudId));
        Assert.Equal(5, store.History(2, TimeSpan.FromDays(3650)).Count);
    }
}
