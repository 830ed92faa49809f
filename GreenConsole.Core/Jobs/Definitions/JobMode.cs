namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>How a researcher's script cooperates with GreenConsole; it decides what a move or a pause can do.</summary>
public enum JobMode
{
    /// <summary>The script follows docs/training-protocol.md through the shipped helper: exact mini-batch resume.</summary>
    Protocol,

    /// <summary>The script saves and loads its own checkpoints; GreenConsole stops it, copies the newest one and restarts it with resume arguments.</summary>
    OwnCheckpoint,

    /// <summary>Any command: monitored and accounted, paused in place by stopping its process group, never moved.</summary>
    Command,
}

public static class JobModes
{
    public const string ProtocolName = "protocol";
    public const string OwnCheckpointName = "own-checkpoint";
    public const string CommandName = "command";

    public static IReadOnlyList<string> Names { get; } = [ProtocolName, OwnCheckpointName, CommandName];

    public static string Name(this JobMode mode) => mode switch
    {
        JobMode.Protocol => ProtocolName,
        JobMode.OwnCheckpoint => OwnCheckpointName,
        JobMode.Command => CommandName,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown job mode."),
    };

    public static bool TryParse(string? text, out JobMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case ProtocolName:
                mode = JobMode.Protocol;
                return true;
            case OwnCheckpointName or "owncheckpoint":
                mode = JobMode.OwnCheckpoint;
                return true;
            case CommandName:
                mode = JobMode.Command;
                return true;
            default:
                mode = default;
                return false;
        }
    }

    /// <summary>Null when jobs of this mode can move; otherwise the reason a page and the decision log show.</summary>
    public static string? WhyNotMigratable(JobMode mode) => mode == JobMode.Command
        ? "a command-mode job is never migrated: GreenConsole cannot checkpoint an arbitrary process, so moving it would lose its progress (it can be paused in place instead)"
        : null;

    /// <summary>A command-mode job pauses by stopping its process group; the others checkpoint and stop.</summary>
    public static bool PausesInPlace(JobMode mode) => mode == JobMode.Command;
}
