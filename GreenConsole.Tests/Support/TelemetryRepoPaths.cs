namespace GreenConsole.Tests.Support;

/// <summary>Finds repository files from the test binaries by walking up to the folder holding GreenConsole.sln.</summary>
public static class TelemetryRepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string CarbonData(string file) => Path.Combine(Root, "data", "carbon", file);

    public static string HourlyTrace => CarbonData("electricitymaps_hourly_2023_16zones.csv.gz");

    public static string Yearly => CarbonData("electricitymaps_yearly_2024_by_zone.csv");

    public static string ProbeData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "probes", file);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GreenConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No GreenConsole.sln above {AppContext.BaseDirectory}.");
    }
}
