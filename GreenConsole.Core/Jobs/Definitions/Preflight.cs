using System.Globalization;
using GreenConsole.Core.Remote;

namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>What a cloud reported about itself for one job's requirements. Every field is the cloud's word, bounded and parsed.</summary>
/// <param name="InterpreterVersion">Null when the interpreter did not run.</param>
/// <param name="Packages">Each required package's installed version; null for one that does not import.</param>
/// <param name="Gpus">GPUs nvidia-smi lists; 0 without one.</param>
/// <param name="MissingPaths">Declared data paths that do not exist there.</param>
public sealed record PreflightFacts(
    string? InterpreterVersion,
    IReadOnlyDictionary<string, string?> Packages,
    int Gpus,
    long FreeDiskBytes,
    long FreeMemoryBytes,
    IReadOnlyList<string> MissingPaths,
    string? InterpreterError = null);

/// <summary>One cloud's verdict for one job: every reason it cannot take it, in words the job page shows.</summary>
public sealed record PreflightResult(string CloudId, string CloudLabel, IReadOnlyList<string> Problems, PreflightFacts? Facts)
{
    public bool Ok => Problems.Count == 0;

    /// <summary>"DE: torch 1.13 &lt; required 2.0; 1 GPU needed, 0 found" or "DE: ready".</summary>
    public string Summary => CloudLabel + ": " + (Ok ? "ready" : string.Join("; ", Problems));
}

/// <summary>Port: asks a cloud the questions preflight needs (interpreter, package versions, GPUs, free disk and memory, data paths).</summary>
public interface ICloudPreflight
{
    /// <exception cref="RemoteShellException">The cloud cannot be reached.</exception>
    Task<PreflightFacts> ProbeAsync(SshTarget target, JobDefinition definition, CancellationToken cancellationToken);
}

public static class PreflightRules
{
    /// <summary>
    /// Judges a cloud's facts against the definition. With <paramref name="source"/> (a migration target), each package
    /// must also have the source's major.minor version: a checkpoint written by torch 2.1 is not promised to load in 1.13.
    /// </summary>
    public static IReadOnlyList<string> Problems(JobDefinition d, PreflightFacts facts, long projectBytes, PreflightFacts? source = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(facts);
        var problems = new List<string>();
        if (facts.InterpreterVersion is null)
        {
            problems.Add($"{d.Interpreter} does not run" + (string.IsNullOrWhiteSpace(facts.InterpreterError) ? "" : " (" + facts.InterpreterError + ")"));
            return problems;
        }

        foreach (var p in d.Requirements.Packages)
        {
            facts.Packages.TryGetValue(p.Name, out var installed);
            if (installed is null)
            {
                problems.Add($"{p.Name} does not import");
            }
            else if (!p.IsSatisfiedBy(installed))
            {
                problems.Add($"{p.Name} {installed} {Negate(p.Operator!)} required {p.Version}");
            }
            else if (source is not null && source.Packages.TryGetValue(p.Name, out var there) && there is not null
                && PythonVersion.MajorMinor(there) != PythonVersion.MajorMinor(installed))
            {
                problems.Add($"{p.Name} {installed} differs from the source's {there} (major.minor must match to load its checkpoint)");
            }
        }

        if (facts.Gpus < d.Requirements.Gpus)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{d.Requirements.Gpus} GPU(s) needed, {facts.Gpus} found"));
        }

        var diskNeeded = d.Requirements.MinFreeDiskMb * 1024 * 1024 + projectBytes;
        if (facts.FreeDiskBytes < diskNeeded)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"free disk {Mb(facts.FreeDiskBytes)} MB < needed {Mb(diskNeeded)} MB (project {Mb(projectBytes)} MB + {d.Requirements.MinFreeDiskMb} MB)"));
        }

        if (facts.FreeMemoryBytes < d.Requirements.MinFreeMemoryMb * 1024 * 1024)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"free memory {Mb(facts.FreeMemoryBytes)} MB < needed {d.Requirements.MinFreeMemoryMb} MB"));
        }

        problems.AddRange(facts.MissingPaths.Select(p => $"data path {p} does not exist"));
        return problems;
    }

    private static long Mb(long bytes) => bytes / (1024 * 1024);

    private static string Negate(string op) => op switch
    {
        ">=" => "<",
        ">" => "<=",
        "<=" => ">",
        "<" => ">=",
        "==" => "!=",
        "!=" => "==",
        _ => "does not meet",
    };
}
