using GreenConsole.Core.Jobs;
namespace GreenConsole.Agents.Training;

/// <summary>One line of progress.jsonl. Step lines carry epoch/batch/loss/samples; other events may not.</summary>
internal sealed record TrainingProgress(
    string Event,
    long Step,
    int? Epoch,
    int? BatchInEpoch,
    double? Loss,
    long? Samples,
    DateTimeOffset Timestamp,
    string? Checkpoint = null)
{
    public const string StepEvent = "step";

    public bool IsStep => string.Equals(Event, StepEvent, StringComparison.Ordinal);
}

/// <summary>Content of $GC_JOB_DIR/stopped: the job checkpointed after <see cref="Step"/> and exited 0.</summary>
internal sealed record TrainingStopped(
    long Step,
    string Checkpoint,
    long CheckpointBytes,
    double CheckpointSeconds,
    string? Reason,
    DateTimeOffset Timestamp,
    long? LostSteps = null);

/// <summary>Content of $GC_JOB_DIR/done: the job finished all its steps.</summary>
internal sealed record TrainingDone(
    long Step,
    string FinalWeightsSha256,
    string? Checkpoint,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset Timestamp);

/// <summary>One file of a checkpoint as listed in manifest.json.</summary>
internal sealed record TrainingManifestFile(string Path, long Size, string Sha256);

/// <summary>A checkpoint's manifest.json.</summary>
internal sealed record TrainingManifest(
    int FormatVersion,
    long Step,
    DateTimeOffset Created,
    IReadOnlyList<TrainingManifestFile> Files)
{
    public long TotalBytes => Files.Sum(f => f.Size);
}

/// <summary>One problem reported by <c>greenconsole_train.py verify</c>.</summary>
/// <param name="Unsafe">The file would run code when loaded (a pickle naming a callable outside the allow-list).</param>
internal sealed record TrainingVerifyProblem(string File, string Problem, bool Unsafe = false);

/// <summary>The JSON that <c>greenconsole_train.py verify</c> prints on stdout.</summary>
internal sealed record TrainingVerifyResult(
    bool Ok,
    long? Step,
    int Files,
    long Bytes,
    IReadOnlyList<TrainingVerifyProblem> Problems,
    IReadOnlyDictionary<string, string>? Sha256 = null);

/// <summary>States reported by <c>greenconsole_train.py status</c>.</summary>
internal enum TrainingJobState
{
    NotStarted,
    Running,
    Stopped,
    Done,
    Exited,
}

/// <summary>The JSON that <c>greenconsole_train.py status</c> prints on stdout.</summary>
internal sealed record TrainingJobStatus(
    TrainingJobState State,
    int? Pid,
    bool? Alive,
    bool StopRequested,
    TrainingProgress? LastProgress,
    TrainingStopped? Stopped,
    TrainingDone? Done,
    string? LatestCheckpoint,
    long? LatestCheckpointStep,
    RemoteExit? Exit = null,
    bool Suspended = false);
