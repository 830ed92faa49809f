using System.Globalization;

namespace GreenConsole.Agents.Training;

/// <summary>
/// Names and numbers of the remote training contract (docs/training-protocol.md).
/// They must match greenconsole_train.py.
/// </summary>
internal static class TrainingProtocol
{
    public const int FormatVersion = 1;

    public const string JobDirVariable = "GC_JOB_DIR";
    public const string CheckpointDirVariable = "GC_CHECKPOINT_DIR";
    public const string ResumeVariable = "GC_RESUME";
    public const string StopAtStepVariable = "GC_STOP_AT_STEP";
    public const string CheckpointPadBytesVariable = "GC_CHECKPOINT_PAD_BYTES";
    public const string StepDelayMsVariable = "GC_STEP_DELAY_MS";
    public const string ProgressFsyncEveryVariable = "GC_PROGRESS_FSYNC_EVERY";
    public const string CheckpointKeepVariable = "GC_CHECKPOINT_KEEP";
    public const string StandbyVariable = "GC_STANDBY";
    public const string StandbyTimeoutVariable = "GC_STANDBY_TIMEOUT_S";

    public const string ProgressFile = "progress.jsonl";
    public const string StopFile = "stop";
    public const string StoppedFile = "stopped";
    public const string DoneFile = "done";
    public const string JobFile = "job.json";
    public const string LatestFile = "latest";
    public const string ManifestFile = "manifest.json";
    public const string PaddingFile = "padding.bin";
    public const string GoFile = "go";

    /// <summary>Written by a standby once its set-up is done and it waits for <see cref="GoFile"/>; removed when it leaves the wait.</summary>
    public const string ReadyFile = "standby.ready";
    public const string VerifiedFile = ".verified";
    public const string CheckpointPrefix = "step-";

    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitConfiguration = 2;
    public const int ExitNoCheckpoint = 3;

    /// <summary>The directory name of the checkpoint taken after global step <paramref name="step"/>.</summary>
    public static string CheckpointName(long step) => CheckpointPrefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>What an exit code of the trainer or helper means, for logs and the UI.</summary>
    public static string DescribeExitCode(int exitCode) => exitCode switch
    {
        ExitOk => "finished or stopped cleanly",
        ExitFailure => "training failed",
        ExitConfiguration => "bad configuration (GC_* variable or argument)",
        ExitNoCheckpoint => "resume requested but no usable checkpoint",
        _ => "terminated abnormally (exit code " + exitCode.ToString(CultureInfo.InvariantCulture) + ")",
    };
}

/// <summary>How one incarnation of a training job is started; turned into environment variables.</summary>
/// <param name="JobDirectory">Remote directory for progress and markers.</param>
/// <param name="CheckpointDirectory">Remote directory for checkpoints.</param>
/// <param name="Resume">Continue from the latest complete checkpoint.</param>
/// <param name="StopAtStep">Test aid: stop cleanly right after this global step.</param>
/// <param name="CheckpointPadBytes">Benchmark aid: add a random padding file of this size to each checkpoint.</param>
/// <param name="StepDelayMs">Demo aid: sleep this long after every mini-batch.</param>
internal sealed record TrainingLaunch(
    string JobDirectory,
    string CheckpointDirectory,
    bool Resume = false,
    long? StopAtStep = null,
    long CheckpointPadBytes = 0,
    int StepDelayMs = 0)
{
    /// <summary>The GC_* variables for this launch; throws naming the bad field.</summary>
    public IReadOnlyDictionary<string, string> ToEnvironment()
    {
        if (string.IsNullOrWhiteSpace(JobDirectory))
        {
            throw new ArgumentException("TrainingLaunch.JobDirectory must not be empty.", nameof(JobDirectory));
        }

        if (string.IsNullOrWhiteSpace(CheckpointDirectory))
        {
            throw new ArgumentException("TrainingLaunch.CheckpointDirectory must not be empty.", nameof(CheckpointDirectory));
        }

        if (StopAtStep is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(StopAtStep), StopAtStep, "TrainingLaunch.StopAtStep must be >= 1.");
        }

        if (CheckpointPadBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointPadBytes), CheckpointPadBytes, "TrainingLaunch.CheckpointPadBytes must be >= 0.");
        }

        if (StepDelayMs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(StepDelayMs), StepDelayMs, "TrainingLaunch.StepDelayMs must be >= 0.");
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TrainingProtocol.JobDirVariable] = JobDirectory,
            [TrainingProtocol.CheckpointDirVariable] = CheckpointDirectory,
        };
        if (Resume)
        {
            env[TrainingProtocol.ResumeVariable] = "1";
        }

        if (StopAtStep is { } stop)
        {
            env[TrainingProtocol.StopAtStepVariable] = stop.ToString(CultureInfo.InvariantCulture);
        }

        if (CheckpointPadBytes > 0)
        {
            env[TrainingProtocol.CheckpointPadBytesVariable] = CheckpointPadBytes.ToString(CultureInfo.InvariantCulture);
        }

        if (StepDelayMs > 0)
        {
            env[TrainingProtocol.StepDelayMsVariable] = StepDelayMs.ToString(CultureInfo.InvariantCulture);
        }

        return env;
    }
}
