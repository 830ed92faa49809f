namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>
/// What a researcher asks GreenConsole to run: a project, a command, its environment and what it needs. Stored as a
/// reusable template; every job started from it keeps its own copy.
/// </summary>
public sealed record JobDefinition
{
    public required string Name { get; init; }

    public required JobProject Project { get; init; }

    /// <summary>Run by <c>/bin/sh -c</c> in the project folder on the cloud, e.g. <c>python3 train.py --epochs 10</c>.</summary>
    public required string Command { get; init; }

    public JobMode Mode { get; init; } = JobMode.Command;

    public IReadOnlyList<JobVariable> Environment { get; init; } = [];

    /// <summary>The interpreter preflight runs (and the one protocol mode's helper needs).</summary>
    public string Interpreter { get; init; } = "python3";

    public JobRequirements Requirements { get; init; } = new();

    /// <summary>Own-checkpoint mode only: where the script writes its checkpoints and how to stop and resume it.</summary>
    public OwnCheckpointSettings? OwnCheckpoint { get; init; }

    /// <summary>How progress is read from a script that does not speak the protocol (own-checkpoint and command modes).</summary>
    public ProgressSource? Progress { get; init; }

    /// <summary>Cloud ids the job may run on; empty means any registered cloud.</summary>
    public IReadOnlyList<string> AllowedClouds { get; init; } = [];

    public DateTimeOffset? Deadline { get; init; }

    /// <summary>After a stop request, how long the script has to stop before it is killed and resumed from its last checkpoint.</summary>
    public int StopTimeoutSeconds { get; init; } = 60;
}

/// <summary>A local folder GreenConsole ships (and keeps in sync), or one that already exists on every candidate cloud.</summary>
public sealed record JobProject(string Path, bool OnCloud = false)
{
    public static JobProject Local(string path) => new(path);

    public static JobProject Remote(string path) => new(path, OnCloud: true);
}

/// <summary>One environment variable; a secret one is stored encrypted and never shown or logged.</summary>
public sealed record JobVariable(string Name, string Value, bool Secret = false)
{
    public const string Mask = "••••••";

    public string Shown => Secret ? Mask : Value;
}

public sealed record JobRequirements
{
    public int Gpus { get; init; }

    public long MinFreeMemoryMb { get; init; }

    /// <summary>Free disk needed on the cloud beyond the project itself (checkpoints, outputs).</summary>
    public long MinFreeDiskMb { get; init; }

    public IReadOnlyList<PackageRequirement> Packages { get; init; } = [];

    /// <summary>Data sets too large to ship: paths that must exist on the cloud.</summary>
    public IReadOnlyList<string> DataPaths { get; init; } = [];
}

/// <summary>How GreenConsole asks the script to stop.</summary>
public enum StopMethod
{
    /// <summary>Send <see cref="OwnCheckpointSettings.StopSignal"/> to the script's process group and wait for it to exit.</summary>
    Signal,

    /// <summary>Wait until the script writes its next checkpoint, then end it.</summary>
    NextCheckpoint,
}

/// <param name="Directory">The script's checkpoint folder, relative to the project folder.</param>
/// <param name="ResumeArguments">Appended to the command on a resume; <c>{checkpoint}</c> becomes the restored checkpoint's path.</param>
/// <param name="FilePattern">Which entries of <paramref name="Directory"/> are checkpoints (a glob); the first number in the name is the step.</param>
public sealed record OwnCheckpointSettings(
    string Directory,
    string ResumeArguments,
    StopMethod Stop = StopMethod.Signal,
    string StopSignal = "TERM",
    string FilePattern = "*")
{
    public const string CheckpointPlaceholder = "{checkpoint}";
}

/// <summary>Progress from a regex over stdout (named groups <c>step</c>, optional <c>loss</c> and <c>epoch</c>) or from a JSONL/CSV metrics file.</summary>
public sealed record ProgressSource(string? StdoutRegex = null, string? MetricsFile = null);
