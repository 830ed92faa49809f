using System.Text;
using System.Text.RegularExpressions;

namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>One problem with a job definition, naming the field as the form and the CLI call it.</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => Field + ": " + Message;
}

/// <summary>A definition that does not validate; <see cref="Errors"/> names every bad field.</summary>
public sealed class JobDefinitionException(IReadOnlyList<FieldError> errors)
    : Exception("The job definition is not valid: " + string.Join("; ", errors))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}

/// <summary>The rules a job definition must meet before anything is stored or sent to a cloud.</summary>
public static partial class JobDefinitionRules
{
    public const int MaxNameLength = 80;
    public const int MaxCommandLength = 4000;
    public const int MaxVariables = 64;
    public const int MaxValueLength = 4096;

    /// <summary>Variables GreenConsole sets itself; a definition may not override them.</summary>
    public static bool IsReserved(string name) => name.StartsWith("GC_", StringComparison.Ordinal) || name is "HOME" or "PATH" or "PWD" or "LD_PRELOAD" or "LD_LIBRARY_PATH" or "PYTHONPATH";

    public static IReadOnlyList<FieldError> Validate(JobDefinition d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var errors = new List<FieldError>();
        void Add(string field, string message) => errors.Add(new FieldError(field, message));

        if (string.IsNullOrWhiteSpace(d.Name))
        {
            Add("name", "a job needs a name");
        }
        else if (d.Name.Length > MaxNameLength || d.Name.Any(char.IsControl))
        {
            Add("name", $"at most {MaxNameLength} characters, without control characters");
        }

        if (string.IsNullOrWhiteSpace(d.Project.Path))
        {
            Add("project", "name the project folder (a local folder to ship, or a folder that exists on every cloud)");
        }
        else if (d.Project.Path.Any(char.IsControl) || d.Project.Path.Contains('\'', StringComparison.Ordinal))
        {
            Add("project", "the folder's path may not contain control characters or single quotes");
        }
        else if (d.Project.OnCloud && !(d.Project.Path.StartsWith('/') || d.Project.Path.StartsWith("~/", StringComparison.Ordinal)))
        {
            Add("project", "a folder on the clouds must be an absolute path or start with ~/");
        }

        if (string.IsNullOrWhiteSpace(d.Command))
        {
            Add("command", "give the command to run, e.g. python3 train.py --epochs 3");
        }
        else if (d.Command.Length > MaxCommandLength || d.Command.Any(c => char.IsControl(c) && c != '\t'))
        {
            Add("command", $"one line of at most {MaxCommandLength} characters");
        }

        if (string.IsNullOrWhiteSpace(d.Interpreter) || !InterpreterShape().IsMatch(d.Interpreter))
        {
            Add("interpreter", "a program name or absolute path (letters, digits, / . _ -), e.g. python3 or /opt/venv/bin/python");
        }

        ValidateEnvironment(d.Environment, Add);
        ValidateRequirements(d.Requirements, Add);

        switch (d.Mode)
        {
            case JobMode.OwnCheckpoint when d.OwnCheckpoint is null:
                Add("checkpointDir", "own-checkpoint mode needs the script's checkpoint folder and its resume arguments");
                break;
            case JobMode.OwnCheckpoint:
                ValidateOwnCheckpoint(d.OwnCheckpoint!, Add);
                break;
            case JobMode.Protocol or JobMode.Command when d.OwnCheckpoint is not null:
                Add("checkpointDir", $"only own-checkpoint mode takes a checkpoint folder ({d.Mode.Name()} mode was chosen)");
                break;
        }

        if (d.Progress is { StdoutRegex: { } re })
        {
            ValidateProgressRegex(re, Add);
        }

        if (d.Progress is { MetricsFile: { } metrics } && !IsRelativeInside(metrics))
        {
            Add("metricsFile", "a path inside the project folder (relative, without ..)");
        }

        if (d.StopTimeoutSeconds is < 1 or > 3600)
        {
            Add("stopTimeout", "1 to 3600 seconds");
        }

        foreach (var cloud in d.AllowedClouds.Where(c => string.IsNullOrWhiteSpace(c)))
        {
            Add("allowedClouds", "an empty cloud id");
        }

        return errors;
    }

    public static void ThrowIfInvalid(JobDefinition d)
    {
        var errors = Validate(d);
        if (errors.Count > 0)
        {
            throw new JobDefinitionException(errors);
        }
    }

    private static void ValidateEnvironment(IReadOnlyList<JobVariable> variables, Action<string, string> add)
    {
        if (variables.Count > MaxVariables)
        {
            add("env", $"at most {MaxVariables} variables");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in variables)
        {
            if (!VariableName().IsMatch(v.Name))
            {
                add("env", $"'{v.Name}' is not a variable name (letters, digits and _, not starting with a digit)");
            }
            else if (IsReserved(v.Name))
            {
                add("env", $"{v.Name} is set by GreenConsole or the cloud and cannot be overridden");
            }
            else if (!seen.Add(v.Name))
            {
                add("env", $"{v.Name} is given twice");
            }

            if (v.Value.Length > MaxValueLength || v.Value.Any(c => c is '\0' or '\n' or '\r'))
            {
                // The value itself is never echoed: it may be a secret.
                add("env", $"the value of {v.Name} must be one line of at most {MaxValueLength} characters");
            }
        }
    }

    private static void ValidateRequirements(JobRequirements r, Action<string, string> add)
    {
        if (r.Gpus is < 0 or > 64)
        {
            add("gpus", "0 to 64");
        }

        if (r.MinFreeMemoryMb < 0)
        {
            add("minFreeMemoryMb", "must not be negative");
        }

        if (r.MinFreeDiskMb < 0)
        {
            add("minFreeDiskMb", "must not be negative");
        }

        foreach (var path in r.DataPaths)
        {
            if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl) || path.Contains('\'', StringComparison.Ordinal)
                || !(path.StartsWith('/') || path.StartsWith("~/", StringComparison.Ordinal)))
            {
                add("dataPaths", $"'{path}' must be an absolute path (or start with ~/) without quotes or control characters");
            }
        }
    }

    private static void ValidateOwnCheckpoint(OwnCheckpointSettings o, Action<string, string> add)
    {
        if (!IsRelativeInside(o.Directory))
        {
            add("checkpointDir", $"'{o.Directory}' must be a folder inside the project (relative, without ..)");
        }

        if (string.IsNullOrWhiteSpace(o.ResumeArguments) || !o.ResumeArguments.Contains(OwnCheckpointSettings.CheckpointPlaceholder, StringComparison.Ordinal))
        {
            add("resumeArgs", $"the resume arguments must contain {OwnCheckpointSettings.CheckpointPlaceholder}, e.g. --resume {OwnCheckpointSettings.CheckpointPlaceholder}");
        }
        else if (o.ResumeArguments.Any(char.IsControl))
        {
            add("resumeArgs", "one line without control characters");
        }

        if (o.Stop == StopMethod.Signal && !SignalName().IsMatch(o.StopSignal))
        {
            add("stopSignal", $"'{o.StopSignal}' is not one of TERM, INT, HUP, USR1, USR2");
        }

        if (string.IsNullOrWhiteSpace(o.FilePattern) || o.FilePattern.Contains('/', StringComparison.Ordinal) || o.FilePattern.Any(char.IsControl))
        {
            add("checkpointPattern", "a file-name glob such as ckpt-*.pt (no folders)");
        }
    }

    private static void ValidateProgressRegex(string re, Action<string, string> add)
    {
        try
        {
            var r = new Regex(re, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (!r.GetGroupNames().Contains("step", StringComparer.Ordinal))
            {
                add("progressRegex", "needs a named group (?<step>...) with the global step, e.g. step (?<step>\\d+) loss (?<loss>[0-9.]+)");
            }
        }
        catch (ArgumentException e)
        {
            add("progressRegex", "not a valid regular expression: " + e.Message);
        }
    }

    /// <summary>A relative path that stays inside its folder: no leading '/', no '..' part, no empty name.</summary>
    public static bool IsRelativeInside(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.StartsWith('/') || path.Any(char.IsControl) || path.Contains('\\', StringComparison.Ordinal) || path.Contains('\'', StringComparison.Ordinal))
        {
            return false;
        }

        return path.Split('/', StringSplitOptions.RemoveEmptyEntries).All(p => p is not (".." or ".")) && path.Trim('/').Length > 0;
    }

    /// <summary>
    /// The command as the cloud will run it, for the preview and the job page: the working folder, the environment
    /// (secrets masked) and, on a resume, the resume arguments with the checkpoint's path.
    /// </summary>
    public static string Preview(JobDefinition d, string projectOnCloud, string? resumeCheckpoint = null)
    {
        var sb = new StringBuilder();
        sb.Append("cd ").Append(projectOnCloud).Append(" && ");
        foreach (var v in d.Environment)
        {
            sb.Append(v.Name).Append('=').Append(v.Secret ? JobVariable.Mask : ShellQuoteForDisplay(v.Value)).Append(' ');
        }

        sb.Append(d.Command);
        if (resumeCheckpoint is not null && d.OwnCheckpoint is { } o)
        {
            sb.Append(' ').Append(o.ResumeArguments.Replace(OwnCheckpointSettings.CheckpointPlaceholder, resumeCheckpoint, StringComparison.Ordinal));
        }

        return sb.ToString();
    }

    private static string ShellQuoteForDisplay(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or ':' or ',' or '=' or '+')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();

    [GeneratedRegex("^[A-Za-z0-9._/+-]{1,200}$", RegexOptions.CultureInvariant)]
    private static partial Regex InterpreterShape();

    [GeneratedRegex("^(TERM|INT|HUP|USR1|USR2)$", RegexOptions.CultureInvariant)]
    private static partial Regex SignalName();
}
