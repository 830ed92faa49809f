namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>
/// A researcher's own command as one incarnation runs it on a cloud: what the remote supervisor needs. Built from a
/// <see cref="JobDefinition"/> with its secrets decrypted; it only ever travels in a file readable by the cloud's user.
/// </summary>
public sealed record JobWorkload
{
    public required JobMode Mode { get; init; }

    /// <summary>The project folder on the cloud (absolute or starting with ~/).</summary>
    public required string ProjectOnCloud { get; init; }

    public required string Command { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public OwnCheckpointSettings? OwnCheckpoint { get; init; }

    public ProgressSource? Progress { get; init; }

    public int StopTimeoutSeconds { get; init; } = 60;

    public static JobWorkload From(JobDefinition d, string projectOnCloud)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new JobWorkload
        {
            Mode = d.Mode,
            ProjectOnCloud = projectOnCloud,
            Command = d.Command,
            Environment = d.Environment.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal),
            OwnCheckpoint = d.OwnCheckpoint,
            Progress = d.Progress,
            StopTimeoutSeconds = d.StopTimeoutSeconds,
        };
    }
}
