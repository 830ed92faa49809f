using System.Text.Json;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Cli;
using GreenConsole.Web.Extensions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Cli;

/// <summary>Runs CLI verbs in-process against a temp database and SSH folder.</summary>
internal sealed class JobCliRunner(string folder)
{
    public string DatabasePath => Path.Combine(folder, "db", "greenconsole.db");

    public string SshDirectory => Path.Combine(folder, "ssh");

    public async Task<(int? Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliHost.TryRunAsync(
            [.. args, $"--Database:Path={DatabasePath}", $"--Ssh:DataDirectory={SshDirectory}", "--Ssh:ConnectTimeoutSeconds=3",
                $"--Carbon:Trace:FilePath={TelemetryRepoPaths.HourlyTrace}", $"--Carbon:Yearly:FilePath={TelemetryRepoPaths.Yearly}"],
            output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    public static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
}

public sealed class JobCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-jobcli-test-");
    private readonly JobCliRunner _cli;

    public JobCommandTests() => _cli = new JobCliRunner(_folder.FullName);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public void Job_is_a_verb()
    {
        Assert.Contains("job", CliHost.Verbs);
    }

    [Fact]
    public async Task List_on_an_empty_database_says_so_and_json_prints_nothing()
    {
        var (code, output, _) = await _cli.RunAsync("job", "list");
        Assert.Equal(0, code);
        Assert.Equal("no jobs", output.Trim());

        (code, output, _) = await _cli.RunAsync("job", "list", "--json");
        Assert.Equal(0, code);
        Assert.Empty(JobCliRunner.JsonLines(output));
    }

    [Theory]
    [InlineData("42", "No cloud 42 is registered")]
    [InlineData("XX-NOWHERE", "No cloud 'XX-NOWHERE' is registered")]
    public async Task Start_on_an_unknown_cloud_fails_and_names_it(string cloud, string message)
    {
        var (code, output, error) = await _cli.RunAsync("job", "start", "--cloud", cloud);

        Assert.Equal(JobCommand.Failed, code);
        Assert.Equal("", output);
        Assert.Contains("job start: " + message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("cancel")]
    public async Task Operations_on_an_unknown_job_fail_and_name_it(string verb)
    {
        var (code, _, error) = await _cli.RunAsync("job", verb, "job-nosuchjob");

        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains($"job {verb}: No job 'job-nosuchjob'.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_of_an_unknown_job_or_to_an_unknown_cloud_fails()
    {
        var (code, _, error) = await _cli.RunAsync("job", "migrate", "job-nosuchjob", "--to", "7");
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains("job migrate: No cloud 7 is registered", error, StringComparison.Ordinal);

        var csv = Path.Combine(_folder.FullName, "one.csv");
        await File.WriteAllTextAsync(csv, "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name\r\n203.0.113.10,trainer,pw-not-used,22,KR,Korea\r\n");
        Assert.Equal(0, (await _cli.RunAsync("import-csv", csv)).Code);
        (code, _, error) = await _cli.RunAsync("job", "migrate", "job-nosuchjob", "--to", "KR");
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains("job migrate: No job 'job-nosuchjob'.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_required_options_are_refused_by_the_parser()
    {
        var (code, _, error) = await _cli.RunAsync("job", "start");
        Assert.NotEqual(0, code);
        Assert.Contains("--cloud", error, StringComparison.Ordinal);

        (code, _, error) = await _cli.RunAsync("job", "migrate", "job-x");
        Assert.NotEqual(0, code);
        Assert.Contains("--to", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1MB,100MB,1GB", new long[] { 1_000_000, 100_000_000, 1_000_000_000 })]
    [InlineData("512KiB, 2MiB", new long[] { 524_288, 2_097_152 })]
    [InlineData("1500", new long[] { 1500 })]
    public void Bench_sizes_parse(string text, long[] expected)
    {
        Assert.True(GreenConsole.Bench.MigrationBenchCommand.TryParseSizes(text, out var sizes, out var problem), problem);
        Assert.Equal(expected, sizes);
    }

    [Theory]
    [InlineData("1TB")]
    [InlineData("MB")]
    [InlineData("")]
    [InlineData("-5MB")]
    public void Bad_bench_sizes_are_refused_with_the_offending_part(string text)
    {
        Assert.False(GreenConsole.Bench.MigrationBenchCommand.TryParseSizes(text, out _, out var problem));
        Assert.StartsWith("--sizes:", problem, StringComparison.Ordinal);
    }
}

/// <summary>The job verbs against the real lab: the trainer really starts, and the refusals name the job and state.</summary>
[Collection(SshLabCollection.Name)]
public sealed class JobCommandLabTests(SshLabFixture lab) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-jobcli-lab-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private ServiceProvider AgentServices() => new ServiceCollection()
        .AddLogging()
        .AddGreenConsoleJobServices(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ssh:DataDirectory"] = Path.Combine(_folder.FullName, "agent-ssh"),
            ["Carbon:Trace:FilePath"] = TelemetryRepoPaths.HourlyTrace,
            ["Carbon:Yearly:FilePath"] = TelemetryRepoPaths.Yearly,
        }).Build())
        .BuildServiceProvider();

    private static async Task<TrainingPoll> PollUntilAsync(ITrainingAgent agent, SshTarget target, string jobId, Func<TrainingPoll, bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var poll = await agent.PollAsync(target, jobId, 0, CancellationToken.None);
            if (condition(poll))
            {
                return poll;
            }

            Assert.True(DateTime.UtcNow < until, $"Timed out waiting for {what}; last state {poll.Status.State}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Start_list_refusals_cancel_and_migrate_request_against_the_lab()
    {
        var cli = new JobCliRunner(_folder.FullName);
        var (code, _, error) = await cli.RunAsync("import-csv", lab.CsvPath);
        Assert.True(code == 0, error);
        await using var services = AgentServices();
        var agent = services.GetRequiredService<ITrainingAgent>();
        var kr = lab.Cloud("KR").Target;

        // A long job (the step delay keeps it running) that really trains on KR.
        (code, var output, error) = await cli.RunAsync("job", "start", "--cloud", "KR", "--epochs", "20", "--step-delay-ms", "100", "--name", "cli-long", "--json");
        Assert.True(code == 0, error);
        var started = Assert.Single(JobCliRunner.JsonLines(output));
        var id = started.GetProperty("id").GetString()!;
        Assert.Equal("cli-long", started.GetProperty("name").GetString());
        Assert.Equal("Running", started.GetProperty("status").GetString());
        Assert.Contains("--epochs 20", started.GetProperty("trainerArguments").GetString(), StringComparison.Ordinal);
        await PollUntilAsync(agent, kr, id, p => p.Lines.Any(l => l.IsStep), "the first step line on KR");

        (code, output, _) = await cli.RunAsync("job", "list", "--json");
        Assert.Equal(0, code);
        var listed = Assert.Single(JobCliRunner.JsonLines(output));
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("Running", listed.GetProperty("status").GetString());

        (code, _, error) = await cli.RunAsync("job", "resume", id);
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains($"job resume: Job '{id}' is Running; it can be resumed only when paused or waiting.", error, StringComparison.Ordinal);

        (code, _, error) = await cli.RunAsync("job", "migrate", id, "--to", "KR");
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains($"Job '{id}' already runs on cloud", error, StringComparison.Ordinal);

        (code, _, error) = await cli.RunAsync("job", "migrate", id, "--to", "999");
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains("No cloud 999 is registered", error, StringComparison.Ordinal);

        // Cancel reaches the trainer (it checkpoints and stops); the state stays Cancelling until a controller sees it.
        (code, output, error) = await cli.RunAsync("job", "cancel", id);
        Assert.True(code == 0, error);
        Assert.Contains($"Cancel of job {id} requested", output, StringComparison.Ordinal);
        await PollUntilAsync(agent, kr, id, p => p.Status.State == RemoteJobState.Stopped, "the trainer to stop on KR");
        (code, output, _) = await cli.RunAsync("job", "list");
        Assert.Contains($"{id}  Cancelling", output, StringComparison.Ordinal);

        (code, _, error) = await cli.RunAsync("job", "pause", id);
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains($"job pause: Job '{id}' is Cancelling; it can be paused only while running or waiting.", error, StringComparison.Ordinal);

        (code, _, error) = await cli.RunAsync("job", "migrate", id, "--to", "CA-ON");
        Assert.Equal(JobCommand.Failed, code);
        Assert.Contains($"Job '{id}' is Cancelling; it can be moved only while running or waiting.", error, StringComparison.Ordinal);

        // A short job: the CLI records the migration request (the web app's controller would carry it out).
        (code, output, error) = await cli.RunAsync("job", "start", "--cloud", "US-CAL-CISO", "--epochs", "1", "--json");
        Assert.True(code == 0, error);
        var shortId = Assert.Single(JobCliRunner.JsonLines(output)).GetProperty("id").GetString()!;
        (code, output, error) = await cli.RunAsync("job", "migrate", shortId, "--to", "CA-ON");
        Assert.True(code == 0, error);
        Assert.Contains($"of job {shortId} to cloud", output, StringComparison.Ordinal);
        Assert.Contains("controller carries it out", output, StringComparison.Ordinal);
        (_, output, _) = await cli.RunAsync("job", "list", "--json");
        var migrating = JobCliRunner.JsonLines(output).Single(j => j.GetProperty("id").GetString() == shortId);
        Assert.Equal("Migrating", migrating.GetProperty("status").GetString());
        Assert.Equal("Requested", migrating.GetProperty("activeMigrationStep").GetString());
        await PollUntilAsync(agent, lab.Cloud("US").Target, shortId, p => p.Status.State == RemoteJobState.Done, "the short job to finish on its own");
    }
}
