using System.CommandLine;

namespace GreenConsole.Bench;

/// <summary><c>bench csv [--rows N]</c>: times a CSV import into a fresh temporary database and its re-import.</summary>
internal static class BenchCommand
{
    public static RootCommand Create(TextWriter output)
    {
        var rows = new Option<int>("--rows") { Description = "Rows in the generated CSV", DefaultValueFactory = _ => 1000 };
        var csv = new Command("csv", "Time importing a generated cloud CSV into a fresh database, then re-importing it") { rows };
        csv.SetAction(async (parse, ct) =>
        {
            var result = await CsvImportBenchmark.RunAsync(parse.GetValue(rows), ct).ConfigureAwait(false);
            await output.WriteLineAsync(result.ToString()).ConfigureAwait(false);
            return 0;
        });

        return new RootCommand("GreenConsole benchmarks (scripts/bench.sh)") { csv, TelemetryBenchmark.CreateCommand(output) };
    }
}
