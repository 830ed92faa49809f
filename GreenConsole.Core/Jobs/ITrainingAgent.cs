using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;

namespace GreenConsole.Core.Jobs;

/// <summary>
/// Port for running one training job on a cloud over SSH (deploy, start, stop, poll, verify, copy a checkpoint).
/// </summary>
/// <remarks>
/// "Cannot reach the host" always surfaces as <see cref="RemoteShellException"/> (HostUnreachable, Timeout, ...);
/// "the job or the remote side failed" surfaces as <see cref="TrainingJobException"/> or in <see cref="RemoteJobStatus"/>.
/// Callers must never confuse the two.
/// </remarks>
public interface ITrainingAgent
{
    /// <summary>Copies the helper and reference trainer to the cloud unless identical copies (SHA-256) are there already.</summary>
    Task<DeployResult> DeployAsync(SshTarget target, CancellationToken cancellationToken);

    /// <summary>Starts the job detached (deploying first); <paramref name="resume"/> sets GC_RESUME=1.</summary>
    /// <exception cref="TrainingJobException">The job already runs there, or the launch command failed.</exception>
    Task<TrainingLaunchResult> StartAsync(SshTarget target, TrainingJobSpec spec, bool resume, CancellationToken cancellationToken);

    /// <summary>Asks the job to checkpoint and stop after its current mini-batch (creates the stop file).</summary>
    Task RequestStopAsync(SshTarget target, string jobId, CancellationToken cancellationToken);

    /// <summary>Kills the job's process on the cloud if it runs (SIGKILL, no checkpoint). True when something was killed.</summary>
    Task<bool> KillAsync(SshTarget target, string jobId, CancellationToken cancellationToken);

    /// <summary>New progress lines after byte <paramref name="offset"/> plus the job's status, in one round trip.</summary>
    Task<TrainingPoll> PollAsync(SshTarget target, string jobId, long offset, CancellationToken cancellationToken);

    /// <summary>Checks a checkpoint on the cloud against its manifest (sizes and SHA-256 of every file).</summary>
    Task<CheckpointVerification> VerifyCheckpointAsync(SshTarget target, string jobId, string checkpoint, CancellationToken cancellationToken);

    /// <summary>Copies one checkpoint directory from one cloud to another (not through the controller's disk).</summary>
    Task<CheckpointTransfer> CopyCheckpointAsync(SshTarget source, SshTarget destination, string jobId, string checkpoint, CancellationToken cancellationToken);

    /// <summary>Points the cloud's <c>latest</c> file at <paramref name="checkpoint"/> so a resume there uses it.</summary>
    Task SetLatestCheckpointAsync(SshTarget target, string jobId, string checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Launches the job with GC_RESUME=1 in warm standby (GC_STANDBY=1): it imports and builds everything, then waits
    /// for <see cref="ReleaseStandbyAsync"/>. It exits 0 by itself on a stop request or after <paramref name="standbyTimeout"/>.
    /// A standby is invisible to <see cref="PollAsync"/> until released and is killed by <see cref="KillAsync"/>.
    /// </summary>
    /// <returns>False when the job already runs there (no standby was started).</returns>
    Task<bool> StartStandbyAsync(SshTarget target, TrainingJobSpec spec, TimeSpan standbyTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// Waits (on the cloud, at most <paramref name="maxWait"/>) until the standby finished its set-up and waits for go.
    /// False when it is not ready in time or is gone.
    /// </summary>
    Task<bool> WaitForStandbyReadyAsync(SshTarget target, string jobId, TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>Sends the go signal to a live standby (it then loads <c>latest</c>); null when no standby is alive there.</summary>
    Task<TrainingLaunchResult?> ReleaseStandbyAsync(SshTarget target, string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="PollAsync"/> preceded, in the same round trip, by a remote wait of at most <paramref name="maxWait"/>
    /// (short sleeps on the cloud) until <paramref name="until"/> holds or the job's process is gone.
    /// </summary>
    Task<TrainingPoll> WaitAndPollAsync(SshTarget target, string jobId, long offset, RemoteWaitCondition until, TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>
    /// Holds (<paramref name="hold"/> true) or releases a researcher's command in place: its process group gets SIGSTOP
    /// or SIGCONT from the supervisor. Waits (bounded) until the supervisor confirms; false when it did not in time.
    /// </summary>
    Task<bool> HoldAsync(SshTarget target, string jobId, bool hold, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="maxBytes"/> of the job's stdout or stderr log from byte <paramref name="offset"/>.</summary>
    Task<JobOutputChunk> ReadOutputAsync(SshTarget target, string jobId, JobOutputStream stream, long offset, int maxBytes, CancellationToken cancellationToken);
}

public enum JobOutputStream
{
    Stdout,
    Stderr,
}

/// <param name="Text">The bytes read, as UTF-8 (invalid sequences replaced).</param>
/// <param name="NextOffset">Where the next read starts.</param>
/// <param name="Size">The log's size on the cloud when read.</param>
public sealed record JobOutputChunk(string Text, long NextOffset, long Size);

/// <summary>What a remote wait waits for.</summary>
public enum RemoteWaitCondition
{
    /// <summary>The stopped or done marker.</summary>
    StoppedOrDone,

    /// <summary>A step line after the given progress offset (or the stopped/done marker).</summary>
    NewStepLine,
}

/// <summary>What to run: the reference trainer's hyper-parameters plus the protocol's test/demo aids.</summary>
public sealed record TrainingJobSpec
{
    /// <summary>Letters, digits, '-' and '_' only: it becomes a remote directory name.</summary>
    public required string JobId { get; init; }

    /// <summary>A researcher's own command; null runs the shipped reference trainer with the settings below.</summary>
    public JobWorkload? Workload { get; init; }

    public int Seed { get; init; } = 1234;
    public int Epochs { get; init; } = 6;
    public int StepDelayMs { get; init; }
    public long CheckpointPadBytes { get; init; }

    /// <summary>The trainer's command-line arguments, for the job list and the database.</summary>
    public string TrainerArguments => FormattableString.Invariant($"--seed {Seed} --epochs {Epochs}");

    public static bool IsValidJobId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

public sealed record DeployResult(bool Uploaded, string Directory, TimeSpan Elapsed);

/// <summary>The launch happened; <see cref="ProgressOffset"/> is where this incarnation's progress lines begin.</summary>
public sealed record TrainingLaunchResult(long ProgressOffset, DateTimeOffset LaunchedAt);

public enum RemoteJobState
{
    NotStarted,
    Running,
    Stopped,
    Done,

    /// <summary>The process is gone without a stopped/done marker: it crashed or was killed.</summary>
    Exited,
}

/// <summary>The remote job's state as the helper's <c>status</c> command reports it.</summary>
public sealed record RemoteJobStatus(
    RemoteJobState State,
    int? Pid,
    bool? Alive,
    bool StopRequested,
    long? LastStep,
    string? StoppedCheckpoint,
    long? StoppedStep,
    long StoppedCheckpointBytes,
    string? FinalWeightsSha256,
    long? DoneStep,
    string? LatestCheckpoint,
    bool LauncherAlive,
    long? TotalSteps = null,
    RemoteExit? Exit = null,
    bool Suspended = false,
    long? LostSteps = null,
    string? StopReason = null);

/// <summary>How a researcher's command ended when it failed: its exit code, why, and the tail of its stderr (the cloud's words, bounded).</summary>
public sealed record RemoteExit(int ExitCode, string Reason, string StderrTail);

/// <summary>One progress.jsonl line (step or event).</summary>
public sealed record TrainingProgressPoint(
    string Event,
    long Step,
    int? Epoch,
    double? Loss,
    long? Samples,
    DateTimeOffset Timestamp,
    string? Checkpoint)
{
    public bool IsStep => Event == "step";
}

/// <param name="MoreProgress">
/// progress.jsonl held bytes beyond <paramref name="NextOffset"/> when the status was read (a read is capped).
/// A stopped or done status is the job's last word only once this is false: until then its final lines are unread.
/// </param>
public sealed record TrainingPoll(RemoteJobStatus Status, IReadOnlyList<TrainingProgressPoint> Lines, long NextOffset, bool MoreProgress = false)
{
    /// <summary>The state to act on: a stopped or done job counts as still running until all its lines are read.</summary>
    public RemoteJobState State => MoreProgress ? RemoteJobState.Running : Status.State;
}

/// <param name="Sha256">The SHA-256 of each file as the target computed it (paths relative to the checkpoint folder).</param>
/// <param name="Unsafe">A problem is one no second copy can fix: the checkpoint itself would run code when loaded.</param>
public sealed record CheckpointVerification(
    bool Ok, long? Step, long Bytes, IReadOnlyList<string> Problems,
    IReadOnlyDictionary<string, string>? Sha256 = null, bool Unsafe = false);

/// <param name="Record">The controller's own record of the files it relayed (paths relative to the checkpoint folder).</param>
public sealed record CheckpointTransfer(long Bytes, TimeSpan Elapsed, CheckpointRecord? Record = null)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// A checkpoint that must never be loaded or copied on: it holds a link or a path outside its folder, or a file that
/// would run code when loaded. The message names the cloud and the file.
/// </summary>
public sealed class UntrustedCheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The remote job or helper failed (as opposed to the host being unreachable, a <see cref="RemoteShellException"/>).</summary>
public sealed class TrainingJobException(string message, int? exitCode = null, Exception? inner = null) : Exception(message, inner)
{
    public int? ExitCode { get; } = exitCode;
}
