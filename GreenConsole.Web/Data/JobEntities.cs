namespace GreenConsole.Web.Data;

/// <summary>A training job run over SSH (schema v3).</summary>
public sealed class JobEntity
{
    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The trainer's arguments (e.g. "--seed 1234 --epochs 6"); never holds secrets.</summary>
    public required string TrainerArguments { get; set; }

    public int Seed { get; set; }
    public int Epochs { get; set; }
    public int StepDelayMs { get; set; }
    public long CheckpointPadBytes { get; set; }
    public int FirstCloudId { get; set; }
    public int CurrentCloudId { get; set; }
    public JobStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When the job arrived on <see cref="CurrentCloudId"/> (the policy's dwell time counts from here).</summary>
    public DateTimeOffset ArrivedOnCurrentAt { get; set; }

    /// <summary>Byte offset in the current cloud's progress.jsonl up to which lines were read.</summary>
    public long ProgressOffset { get; set; }

    public long? LastStep { get; set; }
    public int? LastEpoch { get; set; }
    public double? LastLoss { get; set; }
    public DateTimeOffset? LastProgressAt { get; set; }
    public long? TotalSteps { get; set; }
    public double TrainingSeconds { get; set; }
    public long? LastCheckpointBytes { get; set; }
    public string? FinalWeightsSha256 { get; set; }
    public string? LastError { get; set; }

    /// <summary>protocol, own-checkpoint or command for a researcher's own job; null for the reference trainer (schema v7).</summary>
    public string? Mode { get; set; }

    /// <summary>The job's own copy of its definition (secret values encrypted); null for the reference trainer.</summary>
    public string? DefinitionJson { get; set; }
}

/// <summary>A reusable job definition (schema v7).</summary>
public sealed class JobDefinitionEntity
{
    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The definition as JSON, secret values encrypted.</summary>
    public required string DefinitionJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One migration with its persisted state-machine state (schema v3).</summary>
public sealed class MigrationEntity
{
    public Guid Id { get; set; }
    public required string JobId { get; set; }
    public int SourceCloudId { get; set; }
    public int TargetCloudId { get; set; }

    /// <summary>"Policy" or "Manual".</summary>
    public required string Trigger { get; set; }

    /// <summary>The <see cref="GreenConsole.Core.Migration.MigrationStep"/> name.</summary>
    public required string Step { get; set; }

    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset StepEnteredAt { get; set; }
    public int TransferAttempts { get; set; }
    public int RollbackAttempts { get; set; }
    public string? LastFailure { get; set; }
    public DateTimeOffset? StopRequestedAt { get; set; }
    public string? CheckpointName { get; set; }
    public long? CheckpointStep { get; set; }
    public long? CheckpointBytes { get; set; }
    public long? TransferBytes { get; set; }
    public double? TransferSeconds { get; set; }

    /// <summary>What the controller relayed (<see cref="GreenConsole.Core.Jobs.CheckpointRecord"/> JSON, schema v6).</summary>
    public string? CopiedRecord { get; set; }

    /// <summary>Where the progress lines of the incarnation started by this migration begin (target or, after a rollback, source).</summary>
    public long? LaunchProgressOffset { get; set; }

    public long? FirstStepAfterResume { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Stop request to first new progress line, seconds.</summary>
    public double? DowntimeSeconds { get; set; }

    public string? Error { get; set; }
    public string? RollbackReason { get; set; }
}

/// <summary>Event log: migration transitions, policy decisions and job notes, with their inputs as JSON (schema v3).</summary>
public sealed class JobEventEntity
{
    public long Id { get; set; }
    public required string JobId { get; set; }
    public Guid? MigrationId { get; set; }

    /// <summary>"Transition", "Decision" or "Job".</summary>
    public required string Kind { get; set; }

    public DateTimeOffset At { get; set; }
    public string? FromStep { get; set; }
    public string? ToStep { get; set; }
    public double? DurationMs { get; set; }
    public required string Message { get; set; }
    public string? DataJson { get; set; }
}
