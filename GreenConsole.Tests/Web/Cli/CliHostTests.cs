using System.Text;
using System.Text.Json;
using GreenConsole.Web.Cli;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Tests.Web.Cli;

public sealed class CliHostTests : IDisposable
{
    private const string Header = "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name";

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gc-cli-test-");

    private string DatabasePath => Path.Combine(folder.FullName, "cli", "greenconsole.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    private string WriteCsv(string text)
    {
        var path = Path.Combine(folder.FullName, $"clouds-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        return path;
    }

    private async Task<(int? Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliHost.TryRunAsync([.. args, $"--Database:Path={DatabasePath}"], output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Theory]
    [InlineData]
    [InlineData("--urls", "http://127.0.0.1:5000")]
    [InlineData("serve")]
    [InlineData("--Database:Path=x.db")]
    public async Task Not_a_verb_returns_null_so_the_web_app_starts(params string[] args)
    {
        Assert.Null(await CliHost.TryRunAsync(args, TextWriter.Null, TextWriter.Null, CancellationToken.None));
    }

    [Fact]
    public async Task Import_json_prints_one_object_per_row_then_a_summary()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,\"대한민국\"\r\n[2001:db8::10],trainer,change-me-3,22,US,United States\r\n");

        var (code, output, _) = await RunAsync("import-csv", csv, "--json");

        Assert.Equal(0, code);
        Assert.DoesNotContain("change-me", output, StringComparison.Ordinal);
        var lines = JsonLines(output);
        Assert.Equal(3, lines.Count);
        Assert.Equal(2, lines[0].GetProperty("row").GetInt32());
        Assert.Equal("created", lines[0].GetProperty("status").GetString());
        Assert.Equal("203.0.113.10", lines[0].GetProperty("host").GetString());
        Assert.Equal(22, lines[0].GetProperty("port").GetInt32());
        Assert.Equal("trainer", lines[0].GetProperty("username").GetString());
        Assert.Equal("KR", lines[0].GetProperty("zone").GetString());
        Assert.Equal(0, lines[0].GetProperty("reasons").GetArrayLength());
        Assert.Equal("2001:db8::10", lines[1].GetProperty("host").GetString());
        Assert.True(lines[2].GetProperty("summary").GetProperty("stored").GetBoolean());
        Assert.Equal(2, lines[2].GetProperty("summary").GetProperty("created").GetInt32());
        Assert.True(File.Exists(DatabasePath));

        var (againCode, again, _) = await RunAsync("import-csv", csv, "--json");

        Assert.Equal(0, againCode);
        Assert.All(JsonLines(again).Take(2), l => Assert.Equal("unchanged", l.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Rejected_rows_exit_2_and_store_nothing()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,Korea\r\n198.51.100.7,trainer,change-me-2,99999,DE,Germany\r\n");

        var (code, output, _) = await RunAsync("import-csv", csv, "--json");

        Assert.Equal(2, code);
        var lines = JsonLines(output);
        Assert.Equal("accepted", lines[0].GetProperty("status").GetString());
        Assert.Equal("rejected", lines[1].GetProperty("status").GetString());
        var reason = Assert.Single(lines[1].GetProperty("reasons").EnumerateArray());
        Assert.Equal("Port", reason.GetProperty("field").GetString());
        Assert.Contains("65535", reason.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(lines[2].GetProperty("summary").GetProperty("stored").GetBoolean());
        Assert.Equal(0, await CountCloudsAsync());
    }

    [Fact]
    public async Task Valid_only_stores_good_rows_but_still_exits_2()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,Korea\r\n198.51.100.7,trainer,change-me-2,99999,DE,Germany\r\n");

        var (code, output, _) = await RunAsync("import-csv", csv, "--valid-only", "--json");

        Assert.Equal(2, code);
        Assert.Equal("created", JsonLines(output)[0].GetProperty("status").GetString());
        Assert.Equal(1, await CountCloudsAsync());
    }

    [Fact]
    public async Task Dry_run_stores_nothing()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,Korea\r\n");

        var (code, output, _) = await RunAsync("import-csv", "--dry-run", csv);

        Assert.Equal(0, code);
        Assert.Contains("dry run: nothing stored", output, StringComparison.Ordinal);
        Assert.Contains("created", output, StringComparison.Ordinal);
        Assert.Equal(0, await CountCloudsAsync());
    }

    [Fact]
    public async Task File_errors_exit_1()
    {
        var csv = WriteCsv("hello,world\r\n1,2\r\n");

        var (code, output, _) = await RunAsync("import-csv", csv, "--json");

        Assert.Equal(1, code);
        var line = Assert.Single(JsonLines(output), l => l.TryGetProperty("fileError", out _));
        Assert.Contains("not a cloud CSV header", line.GetProperty("fileError").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_file_exits_1()
    {
        var (code, _, error) = await RunAsync("import-csv", Path.Combine(folder.FullName, "nope.csv"));

        Assert.Equal(1, code);
        Assert.Contains("file not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_setting_exits_1_with_the_setting_named()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,Korea\r\n");
        var error = new StringWriter();

        var code = await CliHost.TryRunAsync(["import-csv", csv, "--Database:Path", ":memory:"], TextWriter.Null, error, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("Database:Path", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_output_lists_rows_and_reasons()
    {
        var csv = WriteCsv(Header + "\r\n203.0.113.10,trainer,change-me-1,22,KR,Korea\r\n198.51.100.7,,change-me-2,22,DE,Germany\r\n");

        var (code, output, _) = await RunAsync("import-csv", csv);

        Assert.Equal(2, code);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("ROW", lines[0], StringComparison.Ordinal);
        Assert.Contains("Username: is missing", lines[2], StringComparison.Ordinal);
        Assert.Contains("1 accepted, 1 rejected; nothing stored", output, StringComparison.Ordinal);
        Assert.DoesNotContain("change-me", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_error_exits_non_zero()
    {
        var (code, _, error) = await RunAsync("import-csv");

        Assert.NotEqual(0, code);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Configuration_arguments_are_split_from_verb_arguments()
    {
        var (command, configuration) = CliHost.SplitConfigurationArguments(["import-csv", "a.csv", "--Database:Path", "x.db", "--json", "--Logging:LogLevel:Default=Debug"]);

        Assert.Equal(["import-csv", "a.csv", "--json"], command);
        Assert.Equal(["--Database:Path", "x.db", "--Logging:LogLevel:Default=Debug"], configuration);
    }

    [Fact]
    public async Task Bench_csv_times_a_small_import()
    {
        var result = await GreenConsole.Bench.CsvImportBenchmark.RunAsync(30, CancellationToken.None);

        Assert.Equal((30, 30, 30), (result.Rows, result.Created, result.Unchanged));
        Assert.Contains("30 rows", result.ToString(), StringComparison.Ordinal);
    }

    private async Task<long> CountCloudsAsync()
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM Clouds";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
