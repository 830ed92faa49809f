using System.Diagnostics;
using System.Globalization;
using System.Text;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Data;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Bench;

/// <param name="ColdFreshImport">First import in this process into a fresh database (includes JIT and EF model building, as a CLI run pays).</param>
/// <param name="FreshImport">Import into a second fresh database, once the process is warm.</param>
/// <param name="ReImport">The same file again into that database: every row Unchanged, passwords decrypted and compared.</param>
public sealed record CsvImportBenchmarkResult(int Rows, int CsvBytes, TimeSpan ColdFreshImport, TimeSpan FreshImport, TimeSpan ReImport, int Created, int Unchanged)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"csv import: {Rows} rows ({CsvBytes} bytes): fresh DB cold {ColdFreshImport.TotalMilliseconds:F0} ms, fresh DB warm {FreshImport.TotalMilliseconds:F0} ms ({Created} created), re-import {ReImport.TotalMilliseconds:F0} ms ({Unchanged} unchanged)");
}

/// <summary>Times importing a generated CSV into fresh databases in a temporary folder (deleted afterwards).</summary>
public static class CsvImportBenchmark
{
    public static async Task<CsvImportBenchmarkResult> RunAsync(int rows, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var folder = Directory.CreateTempSubdirectory("greenconsole-bench-");
        try
        {
            var csv = GenerateCsv(rows);
            var (cold, _, _) = await MeasureAsync(Path.Combine(folder.FullName, "cold", "bench.db"), csv, rows, reimport: false, ct).ConfigureAwait(false);
            var (warm, again, created) = await MeasureAsync(Path.Combine(folder.FullName, "warm", "bench.db"), csv, rows, reimport: true, ct).ConfigureAwait(false);
            return new CsvImportBenchmarkResult(rows, csv.Length, cold, warm, again!.Value, created, rows);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task<(TimeSpan Fresh, TimeSpan? Again, int Created)> MeasureAsync(string databasePath, byte[] csv, int rows, bool reimport, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Path"] = databasePath })
            .Build();
        await using var scope = CliServices.Build(configuration, CliModules.CloudRegistry, LogLevel.Error);
        var provider = scope.Services;
        await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
        var importer = provider.GetRequiredService<CloudImportService>();

        // Creating the key ring is a one-off per installation; keep it out of the measurement.
        provider.GetRequiredService<CloudSecretProtector>().Protect("warm-up");

        var watch = Stopwatch.StartNew();
        var fresh = await importer.ImportAsync(new MemoryStream(csv), CloudImportMode.AllOrNothing, dryRun: false, ct).ConfigureAwait(false);
        var freshTime = watch.Elapsed;
        if (fresh.Created != rows)
        {
            throw new InvalidOperationException($"benchmark import went wrong: {fresh.Created} of {rows} created");
        }

        if (!reimport)
        {
            return (freshTime, null, fresh.Created);
        }

        watch.Restart();
        var again = await importer.ImportAsync(new MemoryStream(csv), CloudImportMode.AllOrNothing, dryRun: false, ct).ConfigureAwait(false);
        var againTime = watch.Elapsed;
        if (again.Unchanged != rows)
        {
            throw new InvalidOperationException($"benchmark re-import went wrong: {again.Unchanged} of {rows} unchanged");
        }

        return (freshTime, againTime, fresh.Created);
    }

    /// <summary>A valid cloud CSV with <paramref name="rows"/> distinct clouds on documentation addresses.</summary>
    public static byte[] GenerateCsv(int rows)
    {
        string[] countries = ["DE,Germany", "KR,\"대한민국\"", "US,United States", "GB,United Kingdom", "FR,France", "JP,Japan"];
        var text = new StringBuilder("IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name,Label\r\n");
        for (var i = 0; i < rows; i++)
        {
            var host = (i % 3) switch
            {
                0 => $"198.51.100.{1 + (i % 254)}",
                1 => $"2001:db8::{i:x}",
                _ => $"gpu-{i}.example.com",
            };
            text.Append(CultureInfo.InvariantCulture, $"{host},user{i},bench-pass-{i},22,{countries[i % countries.Length]},\"bench {i}\"\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
