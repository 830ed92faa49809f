namespace GreenConsole.Agents.Carbon;

/// <summary>Resolves data file paths given in options: absolute paths as they are, relative ones against the app's base directory.</summary>
internal static class CarbonDataFiles
{
    public static string Resolve(string path) => Core.Simulation.ShippedTrace.Resolve(path, AppContext.BaseDirectory);
}
