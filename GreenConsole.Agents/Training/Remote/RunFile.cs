using System.Text.Json;
using System.Text.Json.Serialization;
using GreenConsole.Core.Jobs.Definitions;

namespace GreenConsole.Agents.Training.Remote;

/// <summary>The run file greenconsole_run.py reads once and deletes (docs/own-training.md, "Run file").</summary>
internal sealed record RunFile(
    string Mode,
    string Project,
    string Command,
    IReadOnlyDictionary<string, string> Env,
    string? CheckpointDir,
    string? CheckpointPattern,
    string? ResumeArgs,
    string? Stop,
    string? StopSignal,
    int StopTimeoutS,
    string? ProgressRegex,
    string? MetricsFile)
{
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RunFile Of(JobWorkload w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var o = w.OwnCheckpoint;
        return new RunFile(
            w.Mode.Name(),
            w.ProjectOnCloud,
            w.Command,
            w.Environment,
            o?.Directory,
            o?.FilePattern,
            o?.ResumeArguments,
            o is null ? null : o.Stop == StopMethod.Signal ? "signal" : "next-checkpoint",
            o?.StopSignal,
            w.StopTimeoutSeconds,
            w.Progress?.StdoutRegex,
            w.Progress?.MetricsFile);
    }
}
