using GreenConsole.Core.Carbon;
using GreenConsole.Core.Clouds;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Health;

namespace GreenConsole.Web.Dashboard;

public sealed record MapCountry(string Code, double GramsPerKwh, string Quality, string Source);

public sealed record MapCloud(
    int Id, string Name, string CountryCode, string Zone, double? Lat, double? Lon,
    double? GramsPerKwh, string? Quality, string? Source, double? Threshold, bool? Reachable, bool JobRunning);

public sealed record MapMigration(int FromCloudId, int ToCloudId, DateTimeOffset At, string Label);

public sealed record CarbonMapSnapshot(
    DateTimeOffset At, string Signal, IReadOnlyList<MapCountry> Countries, IReadOnlyList<MapCloud> Clouds, IReadOnlyList<MapMigration> Migrations);

/// <summary>What jobs contribute to the map: where they run now and where they moved. Supplied by the jobs feature.</summary>
public interface IMapJobSource
{
    Task<MapJobState> GetAsync(CancellationToken cancellationToken);
}

public sealed record MapJobState(IReadOnlySet<int> CloudsWithRunningJobs, IReadOnlyList<MapMigration> Migrations);

/// <summary>
/// Builds the map's data on the server: each country's intensity from the provider chain (hourly where shipped,
/// yearly averages elsewhere, always with its provenance), and each cloud with its zone's intensity.
/// </summary>
public sealed class CarbonMapBuilder(
    ICarbonIntensityProvider carbon,
    CloudRepository clouds,
    CloudHealthStore health,
    IEnumerable<IMapJobSource> jobs,
    Microsoft.Extensions.Options.IOptions<GreenConsole.Core.Carbon.CarbonSignalOptions> carbonOptions,
    TimeProvider time)
{
    public async Task<CarbonMapSnapshot> BuildAsync(CancellationToken cancellationToken)
    {
        var signal = carbonOptions.Value.Signal;
        var countries = new List<MapCountry>();
        foreach (var country in CountryCatalog.All)
        {
            var reading = await carbon.GetCurrentAsync(country.Alpha2, signal, cancellationToken);
            if (reading is not null)
            {
                countries.Add(new MapCountry(country.Alpha2, Math.Round(reading.GramsPerKwh, 1), CarbonProvenance.Label(reading), CarbonProvenance.Detail(reading)));
            }
        }

        var jobState = jobs.FirstOrDefault() is { } source ? await source.GetAsync(cancellationToken) : null;
        var running = jobState?.CloudsWithRunningJobs ?? new HashSet<int>();
        var mapClouds = new List<MapCloud>();
        foreach (var cloud in await clouds.ListAsync(cancellationToken))
        {
            var reading = await carbon.GetCurrentAsync(cloud.Zone, signal, cancellationToken);
            var location = ZoneLocations.Of(cloud.Zone);
            mapClouds.Add(new MapCloud(cloud.Id, cloud.DisplayName, cloud.CountryCode, cloud.Zone, location?.Lat, location?.Lon,
                reading is null ? null : Math.Round(reading.GramsPerKwh, 1), reading is null ? null : CarbonProvenance.Label(reading), reading is null ? null : CarbonProvenance.Detail(reading),
                cloud.ThresholdGPerKwh, health.Get(cloud.Id)?.Reachable ?? cloud.Reachable, running.Contains(cloud.Id)));
        }
        return new CarbonMapSnapshot(time.GetUtcNow(), signal.ToString(), countries, mapClouds, jobState?.Migrations ?? []);
    }
}
