using System.Text;
using GreenConsole.Core.Carbon;
using GreenConsole.Tests.Lab;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Tests.Web.Telemetry;

[Collection(SshLabCollection.Name)]
public sealed class TelemetryLabPollTests(SshLabFixture lab)
{
    [Fact]
    public async Task A_poll_cycle_over_the_lab_produces_samples_with_provenance_and_an_unreachable_cloud_blocks_nobody()
    {
        await using var host = await TelemetryTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Telemetry:WriterFlushSeconds"] = "3600" });
        var csv = Encoding.UTF8.GetBytes(await File.ReadAllTextAsync(lab.CsvPath));
        var import = await host.Get<CloudImportService>().ImportAsync(new MemoryStream(csv), CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);
        Assert.Equal(lab.Clouds.Count, import.Created);
        var dead = await AddUnreachableCloudAsync(host);

        var poller = host.Get<TelemetryPoller>();
        var store = host.Get<TelemetryStore>();
        var carbon = await poller.PollCarbonAsync(CancellationToken.None);
        Assert.Equal(lab.Clouds.Select(c => c.Zone).Distinct().Count(), carbon.Zones);
        Assert.Equal(carbon.Zones, carbon.Answered);
        Assert.Contains("trace", store.ProviderHealth.Keys);

        var first = await poller.PollHardwareAsync(CancellationToken.None, TimeSpan.FromMinutes(2), ignoreDueTimes: true);
        // The lab clouds share this machine's /proc/stat. A second poll within the same clock tick would honestly report
        // "no CPU time elapsed", so it waits (on the condition, with a deadline) until the counters have moved on.
        var ticks = LocalCpuTicks();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LocalCpuTicks() == ticks)
        {
            Assert.True(DateTime.UtcNow < deadline, "/proc/stat did not advance within 10 s");
            await Task.Delay(5);
        }

        var second = await poller.PollHardwareAsync(CancellationToken.None, TimeSpan.FromMinutes(2), ignoreDueTimes: true);

        Assert.Equal((lab.Clouds.Count, 1, 0, 0), (first.Succeeded, first.Unreachable, first.Failed, first.StillRunning));
        Assert.Equal((lab.Clouds.Count, 1), (second.Succeeded, second.Unreachable));
        var down = store.Get(dead)!;
        Assert.False(down.Reachable);
        Assert.NotNull(down.LastErrorKind);
        Assert.Equal(2, down.Failures);
        Assert.Equal(0, down.Samples);

        var clouds = await host.Get<CloudRepository>().ListAsync(CancellationToken.None);
        foreach (var cloud in clouds.Where(c => c.Id != dead))
        {
            var live = store.Get(cloud.Id)!;
            Assert.Equal(2, live.Samples);
            Assert.True(live.Reachable);
            Assert.NotNull(live.LatestSample);
            Assert.True(live.LatestSample!.CpuUtilization.HasValue, live.LatestSample.CpuUtilization.ToString());
            var power = live.LatestPower!;
            Assert.NotNull(power.Cpu);
            Assert.Matches("^(rapl|tdp-table|default)", power.Cpu!.Method);
            Assert.NotNull(power.Ram);
            Assert.True(power.TotalW > 0);
            Assert.Equal(TraceSourceName, live.Intensity!.Source);
            Assert.Equal(cloud.Zone, live.Intensity.Zone);
            var point = live.LatestPoint!;
            Assert.True(point.IntervalSeconds > 0);
            Assert.True(point.Kwh > 0);
            Assert.Equal(point.Kwh * live.Intensity.GramsPerKwh * cloud.Pue, point.Grams, 9);
            Assert.Equal(point.Kwh, live.CumulativeKwh, 12);
            Assert.Equal(2, store.History(cloud.Id).Count);
        }

        var writer = host.Get<TelemetryWriter>();
        await writer.FlushAsync(CancellationToken.None);
        Assert.Equal(2 * lab.Clouds.Count, await host.ScalarAsync("SELECT count(*) FROM PowerSamples"));
        Assert.Equal(lab.Clouds.Count, await host.ScalarAsync($"SELECT count(*) FROM EmissionSamples WHERE Kwh > 0 AND IntensitySource = '{TraceSourceName}'"));
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM PowerSamples WHERE RamMethod IS NULL OR RamQuality IS NULL"));
        // A first sample has no utilisation yet (it is a delta of /proc/stat counters): no CPU power, and the reason is kept.
        Assert.Equal(lab.Clouds.Count, await host.ScalarAsync("SELECT count(*) FROM PowerSamples WHERE CpuMethod IS NULL AND Missing LIKE 'cpu: utilisation unavailable%'"));
        Assert.Equal(lab.Clouds.Count, await host.ScalarAsync("SELECT count(*) FROM PowerSamples WHERE CpuMethod IS NOT NULL AND CpuQuality IS NOT NULL"));
        Assert.True(await host.ScalarAsync("SELECT count(*) FROM CarbonReadings") >= carbon.Zones);

        var kr = clouds.Single(c => c.Zone == "KR");
        var now = DateTimeOffset.UtcNow;
        var series = await host.Get<TelemetryQueries>().GetSeriesAsync(kr.Id, now.AddHours(-1), now.AddMinutes(1), SeriesResolution.Raw, CancellationToken.None);
        Assert.Equal(2, series.Count);
        Assert.All(series, p => Assert.NotNull(p.PowerWatts));
        var totals = await host.Get<TelemetryQueries>().GetEmissionTotalsAsync(now.AddHours(-1), now.AddMinutes(1), kr.Id, CancellationToken.None);
        Assert.Equal(store.Get(kr.Id)!.CumulativeGrams, Assert.Single(totals).Grams, 9);
    }

    private const string TraceSourceName = "trace:electricitymaps-2023";

    /// <summary>The sum of the aggregate "cpu" line of this machine's /proc/stat.</summary>
    private static ulong LocalCpuTicks() =>
        File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Aggregate(0UL, (sum, f) => sum + ulong.Parse(f, System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<int> AddUnreachableCloudAsync(TelemetryTestHost host)
    {
        var factory = host.Get<IDbContextFactory<GreenConsoleDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var port = SshLabFixture.UnusedPort();
        var entity = new CloudEntity
        {
            NaturalKey = $"127.0.0.1:{port}:nobody",
            Host = "127.0.0.1",
            Port = port,
            Username = "nobody",
            ProtectedPassword = host.Get<CloudSecretProtector>().Protect("not-a-real-password"),
            CountryCode = "DE",
            CountryName = "Germany",
            Zone = "DE",
            Pue = 1.1,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.Clouds.Add(entity);
        await db.SaveChangesAsync();
        return entity.Id;
    }
}
