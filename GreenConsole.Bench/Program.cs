using System.CommandLine;

namespace GreenConsole.Bench;

/// <summary>An explicit entry point: a top-level Program would clash with the web app's in the tests.</summary>
public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        // Settings as the app reads them (appsettings beside the binary, environment, --Section:Key=value).
        var (commandArgs, configArgs) = CliHost.SplitConfigurationArguments(args);
        var configuration = CliHost.BuildConfiguration(configArgs);
        var output = Console.Out;
        var error = Console.Error;

        var root = BenchCommand.Create(output);
        root.Subcommands.Add(SshBenchCommand.Create(configuration, output, error));
        root.Subcommands.Add(MigrationBenchCommand.Create(configuration, output, error));
        return await root.Parse(commandArgs).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None).ConfigureAwait(false);
    }
}
