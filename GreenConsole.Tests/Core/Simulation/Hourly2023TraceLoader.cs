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

    public static string Path2023 => Path.Combine(RepoRoot(), "data", "carbon", "electricitymaps_hourly_2023_16zones.csv.gz");

    private static CarbonTrace Load(bool useLca)
    {
        using var file = File.OpenRead(Path2023);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var trace = HourlyTraceCsv.Read(reader, new HourlyTraceReadOptions { Signal = useLca ? TraceSignal.LifeCycle : TraceSignal.Direct });
        if (trace.Start != Start || trace.Hours != Hours)
            throw new InvalidDataException($"{Path2023}: expected {Hours} hours from {Start:O}, found {trace.Hours} from {trace.Start:O}.");
        return trace;
    }
}
