using System.CommandLine;
using GreenConsole.Web.Extensions;

namespace GreenConsole.Web.Cli;

/// <summary>
/// Command-line verbs that run instead of the web app. Configuration is read as the web app reads it
/// (appsettings.root.json and appsettings.json beside the binary, environment variables, command line), and a
/// setting can be given on the command line as <c>--Section:Key=value</c> or <c>--Section:Key value</c>,
/// e.g. <c>import-csv clouds.csv --Database:Path=/srv/gc/greenconsole.db</c>.
/// </summary>
public static class CliHost
{
    public static IReadOnlyCollection<string> Verbs { get; } = ["import-csv", "carbon", "job", "simulate"];

    /// <summary>Runs a verb and returns its exit code, or null when <paramref name="args"/> names no verb (start the web app).</summary>
    public static Task<int?> TryRunAsync(string[] args, CancellationToken ct) => TryRunAsync(args, Console.Out, Console.Error, ct);

    public static async Task<int?> TryRunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || !Verbs.Contains(args[0], StringComparer.Ordinal))
        {
            return null;
        }

        var (commandArgs, configArgs) = SplitConfigurationArguments(args);
        var configuration = BuildConfiguration(configArgs);

        var root = new RootCommand("GreenConsole command-line verbs");
        root.Subcommands.Add(ImportCsvCommand.Create(configuration, output, error));
        root.Subcommands.Add(CarbonCommand.Create(configuration, output, error));
        root.Subcommands.Add(JobCommand.Create(configuration, output, error));
        root.Subcommands.Add(SimulateCommand.Create(configuration, output, error));

        var parse = root.Parse(commandArgs);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct).ConfigureAwait(false);
    }

    /// <summary>Separates <c>--Section:Key[=value]</c> settings (they contain ':') from the verb's own arguments.</summary>
    internal static (string[] Command, string[] Configuration) SplitConfigurationArguments(string[] args)
    {
        var command = new List<string>();
        var configuration = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            if (arg.StartsWith("--", StringComparison.Ordinal) && name.Contains(':', StringComparison.Ordinal))
            {
                configuration.Add(arg);
                if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    configuration.Add(args[++i]);
                }
            }
            else
            {
                command.Add(arg);
            }
        }

        return (command.ToArray(), configuration.ToArray());
    }

    internal static IConfiguration BuildConfiguration(string[] configArgs)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.root.json"), optional: true)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(configArgs)
            .Build();
    }
}
