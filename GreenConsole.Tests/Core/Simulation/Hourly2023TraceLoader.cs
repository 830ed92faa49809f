using System.Globalization;
using System.IO.Compression;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Tests.Core.Simulation;

/// <summary>Reads the shipped 2023 hourly ElectricityMaps file into a dense trace (tests only: Core has no I/O).</summary>
internal static class Hourly2023TraceLoader
{
    public static readonly DateTimeOffset Start = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const int Hours = 8760;

    private static readonly Lazy<CarbonTrace> Lca = new(() => Load(useLca: true));

    public static CarbonTrace LifeCycle => Lca.Value;

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GreenConsole.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"No GreenConsole.sln above {AppContext.BaseDirectory}.");
    }

    private static CarbonTrace Load(bool useLca)
    {
        var path = Path.Combine(RepoRoot(), "data", "carbon", "electricitymaps_hourly_2023_16zones.csv.gz");
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.");
        if (header != "datetime_utc,zone_id,ci_direct,ci_lca,is_estimated")
            throw new InvalidDataException($"{path}: unexpected header '{header}'.");

        var zones = new List<string>();
        var rows = new Dictionary<string, double[]>();
        var seen = new Dictionary<string, int>();
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var parts = text.Split(',');
            if (parts.Length != 5)
                throw new InvalidDataException($"{path} line {line}: expected 5 fields.");
            var at = DateTimeOffset.Parse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var hour = (int)(at - Start).TotalHours;
            if (hour is < 0 or >= Hours)
                throw new InvalidDataException($"{path} line {line}: {parts[0]} is outside 2023.");
            if (!rows.TryGetValue(parts[1], out var row))
            {
                row = new double[Hours];
                Array.Fill(row, double.NaN);
                rows[parts[1]] = row;
                zones.Add(parts[1]);
                seen[parts[1]] = 0;
            }

            row[hour] = double.Parse(useLca ? parts[3] : parts[2], CultureInfo.InvariantCulture);
            seen[parts[1]]++;
        }

        foreach (var (zone, row) in rows)
            for (var h = 0; h < Hours; h++)
                if (double.IsNaN(row[h]))
                    throw new InvalidDataException($"{path}: zone {zone} has no value for hour {h}.");
        return new CarbonTrace(Start, zones, zones.Select(z => rows[z]).ToArray());
    }
}
