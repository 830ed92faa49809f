using System.Text.RegularExpressions;
using GreenConsole.Tests.Support;

namespace GreenConsole.Tests.Architecture;

/// <summary>The layering rules of the solution, read from the sources so a new file cannot slip past them.</summary>
public sealed partial class LayeringTests
{
    private static readonly string Web = Path.Combine(TelemetryRepoPaths.Root, "GreenConsole.Web");

    [Fact]
    public void Web_reaches_the_adapters_only_from_its_composition_root()
    {
        var offenders = WebSources()
            .Where(f => !IsCompositionRoot(f))
            .Where(f => AgentsReference().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(TelemetryRepoPaths.Root, f))
            .ToList();
        Assert.True(offenders.Count == 0, "GreenConsole.Agents is referenced outside Extensions/ and Cli/CliServices.cs: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Only_the_job_repository_writes_jobs_migrations_and_job_events()
    {
        var writers = WebSources()
            .Where(f => Path.GetFileName(f) != "JobRepository.cs")
            .Where(f => JobTableWrite().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(TelemetryRepoPaths.Root, f))
            .ToList();
        Assert.True(writers.Count == 0, "Jobs, Migrations or JobEvents are written outside JobRepository: " + string.Join(", ", writers));
    }

    [Fact]
    public void The_migration_driver_does_not_know_its_controller()
    {
        var driver = File.ReadAllText(Path.Combine(Web, "Jobs", "MigrationDriver.cs"));
        Assert.DoesNotContain("MigrationController", driver, StringComparison.Ordinal);
    }

    [Fact]
    public void Cloud_ids_are_never_parsed_back_from_the_strings_core_names_them_by()
    {
        var parsers = WebSources()
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}Jobs{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || f.Contains($"{Path.DirectorySeparatorChar}Telemetry{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || f.Contains($"{Path.DirectorySeparatorChar}Reports{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.EndsWith("Options.cs", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var text && (text.Contains("int.TryParse", StringComparison.Ordinal) || text.Contains("int.Parse", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(TelemetryRepoPaths.Root, f))
            .ToList();
        Assert.True(parsers.Count == 0, "cloud ids parsed from strings in: " + string.Join(", ", parsers));
    }

    private static IEnumerable<string> WebSources() =>
        Directory.EnumerateFiles(Web, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static bool IsCompositionRoot(string file) =>
        Path.GetDirectoryName(file) == Path.Combine(Web, "Extensions") || file == Path.Combine(Web, "Cli", "CliServices.cs");

    [GeneratedRegex(@"\bGreenConsole\.Agents\b|\busing\s+Agents\b|\bAgents\.\w")]
    private static partial Regex AgentsReference();

    [GeneratedRegex(@"\.(Jobs|Migrations|JobEvents)\s*\.\s*(Add|AddRange|Update|UpdateRange|Remove|RemoveRange|Attach)\s*\(|\.(Jobs|Migrations|JobEvents)\b[^;]*\.Execute(Update|Delete)Async")]
    private static partial Regex JobTableWrite();
}
