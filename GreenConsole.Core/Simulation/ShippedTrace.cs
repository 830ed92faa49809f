namespace GreenConsole.Core.Simulation;

/// <summary>
/// Where the shipped 2023 hourly trace lives: the live replay (an adapter) and the simulator (the app) read the same
/// file under the same setting, so its name and default are defined once here.
/// </summary>
public static class ShippedTrace
{
    public const string SectionName = "Carbon:Trace";

    public const string FilePathKey = SectionName + ":FilePath";

    public const string DefaultFilePath = "data/carbon/electricitymaps_hourly_2023_16zones.csv.gz";

    /// <summary>Absolute paths as they are; relative ones against <paramref name="baseDirectory"/> (the app's).</summary>
    public static string Resolve(string path, string baseDirectory) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
}
