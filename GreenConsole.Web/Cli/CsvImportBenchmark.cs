using System.Diagnostics;
using System.Globalization;
using System.Text;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Web.Cli;

public sealed record CsvImportBenchmarkResult(int Rows, int CsvBytes, TimeSpan FreshImport, TimeSpan ReImport, int Created, int Unchanged)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"csv import: {Rows} rows ({CsvBytes} bytes): fresh DB {FreshImport.TotalMilliseconds:F0} ms ({Created} created), re-import {ReImport.TotalMilliseconds:F0} ms ({Unchanged} unchanged)");
}

/// <summary>Times importing a generated CSV into a fresh database in a temporary folder (deleted afterwards).</summary>
public static class CsvImportBenchmark
{
    public static async Task<CsvImportBenchmarkResult> RunAsync(int rows, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var folder = Directory.CreateTempSubdirectory("greenconsole-bench-");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Path"] = Path.Combine(folder.FullName, "bench.db") })
                .Build();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddGreenConsolePersistence(configuration);
            services.AddGreenConsoleCloudRegistry();
            await using var provider = services.BuildServiceProvider();
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            var importer = provider.GetRequiredService<CloudImportService>();
            var csv = GenerateCsv(rows);

            // The first Protect call creates the key ring; keep that one-off cost out of the measurement.
            provider.GetRequiredService<GreenConsole.Web.Data.CloudSecretProtector>().Protect("warm-up");

            var watch = Stopwatch.StartNew();
            var fresh = await importer.ImportAsync(new MemoryStream(csv), CloudImportMode.AllOrNothing, dryRun: false, ct).ConfigureAwait(false);
            var freshTime = watch.Elapsed;

            watch.Restart();
            var again = await importer.ImportAsync(new MemoryStream(csv), CloudImportMode.AllOrNothing, dryRun: false, ct).ConfigureAwait(false);
            var againTime = watch.Elapsed;

            if (fresh.Created != rows || again.Unchanged != rows)
            {
                throw new InvalidOperationException($"benchmark import went wrong: {fresh.Created} created, {again.Unchanged} unchanged of {rows}");
            }

            return new CsvImportBenchmarkResult(rows, csv.Length, freshTime, againTime, fresh.Created, again.Unchanged);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
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
                0 => $"198.51.{100 + (i / 254 % 2)}.{1 + (i % 254)}",
                1 => $"2001:db8::{i:x}",
                _ => $"gpu-{i}.example.com",
            };
            text.Append(CultureInfo.InvariantCulture, $"{host},user{i},bench-pass-{i},22,{countries[i % countries.Length]},\"bench {i}\"\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
