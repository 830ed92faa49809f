using System.CommandLine;
using System.Globalization;
using GreenConsole.Agents;
using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Clouds;
using GreenConsole.Core.Remote;

namespace GreenConsole.Bench;

/// <summary>
/// <c>bench ssh [--csv FILE] [--iterations N]</c>: for each cloud in a cloud CSV (by default the demo lab's), the time
/// of a first command over a new master connection and of multiplexed commands over it.
/// </summary>
internal static class SshBenchCommand
{
    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var csvOption = new Option<string>("--csv") { Description = "Cloud CSV to measure", DefaultValueFactory = _ => ".lab/ssh_data.csv" };
        var iterations = new Option<int>("--iterations") { Description = "Multiplexed commands per cloud", DefaultValueFactory = _ => 20 };
        var command = new Command("ssh", "Time first and multiplexed SSH commands against the clouds of a CSV") { csvOption, iterations };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(csvOption)!;
            if (!File.Exists(path))
            {
                await error.WriteLineAsync($"bench ssh: {path} does not exist (start the demo lab with scripts/lab.sh up, or pass --csv).");
                return 1;
            }
            await using var file = File.OpenRead(path);
            var parsed = await CloudCsvParser.ParseAsync(file, null, ct);
            if (parsed.HasErrors)
            {
                await error.WriteLineAsync("bench ssh: the CSV has errors: " + string.Join("; ", parsed.AllErrors));
                return 1;
            }

            // A private data folder: the benchmark must measure a genuinely new master and never touch the app's known hosts.
            var dataDir = Directory.CreateTempSubdirectory("gc-bench-ssh-").FullName;
            var services = CliServices.Build(new ConfigurationBuilder().AddConfiguration(configuration)
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Ssh:DataDirectory"] = dataDir }).Build(), CliModules.Ssh, LogLevel.Error);
            try
            {
                var shell = services.Services.GetRequiredService<IRemoteShell>();
                await output.WriteLineAsync("cloud                      first command (new master)   multiplexed p50   multiplexed p95");
                var i = 0;
                foreach (var row in parsed.Rows)
                {
                    var cloud = row.Cloud!;
                    var target = new SshTarget
                    {
                        CloudId = "bench" + (++i).ToString(CultureInfo.InvariantCulture),
                        Host = cloud.Host,
                        Port = cloud.Port,
                        Username = cloud.Username,
                        Password = cloud.Password,
                        KeyPath = cloud.KeyPath,
                    };
                    var report = await SshLatencyBenchmark.RunAsync(shell, target, parse.GetValue(iterations), ct);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{cloud.Zone,-26} {report.FirstCommandMs,10:0.0} ms {"",16} {report.MultiplexedP50Ms,8:0.0} ms {report.MultiplexedP95Ms,12:0.0} ms"));
                }
            }
            finally
            {
                await services.DisposeAsync();
                Directory.Delete(dataDir, recursive: true);
            }
            return 0;
        });
        return command;
    }
}
