using GreenConsole.Tests.Lab;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Tests.Web.Cli;

/// <summary><c>job submit</c> and <c>job logs</c> against the real lab: field errors, a command that runs, its whole output, a secret that stays secret.</summary>
[Collection(SshLabCollection.Name)]
public sealed class JobSubmitCommandTests(SshLabFixture lab) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-jobsubmit-cli-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private string Project()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_folder.FullName, "project")).FullName;
        var script = Path.Combine(dir, "count.sh");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "own-training", "plain_command", "count.sh"), script);
        return dir;
    }

    [Fact]
    public async Task Submit_prints_the_job_as_json_and_logs_follow_its_output_to_the_end()
    {
        var cli = new JobCliRunner(_folder.FullName);
        var (code, _, error) = await cli.RunAsync("import-csv", lab.CsvPath);
        Assert.True(code == 0, error);
        var project = Project();

        // Bad input: every bad field is named, nothing is started.
        (code, var output, error) = await cli.RunAsync("job", "submit", "--cloud", "KR", "--project", project, "--command", "./count.sh",
            "--mode", "sometimes", "--env", "NOEQUALS", "--requires", "torch>>2", "--checkpoint-dir", "../out");
        Assert.Equal(1, code);
        Assert.Contains("job submit: mode:", error, StringComparison.Ordinal);
        Assert.Contains("job submit: env: 'NOEQUALS' is not K=V", error, StringComparison.Ordinal);
        Assert.Contains("job submit: requires:", error, StringComparison.Ordinal);
        Assert.Contains("job submit: checkpointDir:", error, StringComparison.Ordinal);
        (_, output, _) = await cli.RunAsync("job", "list");
        Assert.Equal("no jobs", output.Trim());

        Environment.SetEnvironmentVariable("TEST_CLI_TOKEN_GC", "tok-very-secret");
        (code, output, error) = await cli.RunAsync("job", "submit", "--cloud", "KR", "--project", project, "--command", "./count.sh 15 0.05",
            "--progress-regex", @"line (?<step>\d+)", "--env", "GREETING=hi", "--secret-env", "TEST_CLI_TOKEN_GC", "--name", "cli-count", "--json");
        Assert.True(code == 0, error);
        var submitted = Assert.Single(JobCliRunner.JsonLines(output));
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal("command", submitted.GetProperty("mode").GetString());
        Assert.Contains("TEST_CLI_TOKEN_GC=••••••", submitted.GetProperty("command").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok-very-secret", output + error, StringComparison.Ordinal);

        // The CLI has no controller running: logs --follow ends once the output stops growing and the job is final,
        // so here it reads until the script's last line has arrived.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string logs;
        do
        {
            (code, logs, error) = await cli.RunAsync("job", "logs", id);
            Assert.True(code == 0, error);
        }
        while (!logs.Contains("all 15 lines", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Equal(string.Concat(Enumerable.Range(1, 15).Select(i => $"line {i}\n")) + "all 15 lines\n", logs);

        (code, output, error) = await cli.RunAsync("job", "migrate", id, "--to", "GB");
        Assert.Equal(1, code);
        Assert.Contains("never migrated", error, StringComparison.Ordinal);
        var (_, listed, _) = await cli.RunAsync("job", "list", "--json");
        Assert.Contains("\"mode\":\"command\"", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-very-secret", File.ReadAllText(cli.DatabasePath), StringComparison.Ordinal);
    }
}
