-- Schema v4: training jobs, migrations and their event log.
-- Generated from GreenConsoleDbContext with Database.GenerateCreateScript() (EF Core 9.0, SQLite).

CREATE TABLE "JobEvents" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_JobEvents" PRIMARY KEY AUTOINCREMENT,
    "JobId" TEXT NOT NULL,
    "MigrationId" TEXT NULL,
    "Kind" TEXT NOT NULL,
    "At" TEXT NOT NULL,
    "FromStep" TEXT NULL,
    "ToStep" TEXT NULL,
    "DurationMs" REAL NULL,
    "Message" TEXT NOT NULL,
    "DataJson" TEXT NULL
);

CREATE TABLE "Jobs" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Jobs" PRIMARY KEY,
    "Name" TEXT NOT NULL,
    "TrainerArguments" TEXT NOT NULL,
    "Seed" INTEGER NOT NULL,
    "Epochs" INTEGER NOT NULL,
    "StepDelayMs" INTEGER NOT NULL,
    "CheckpointPadBytes" INTEGER NOT NULL,
    "FirstCloudId" INTEGER NOT NULL,
    "CurrentCloudId" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "CreatedAt" TEXT NOT NULL,
    "StartedAt" TEXT NULL,
    "FinishedAt" TEXT NULL,
    "ArrivedOnCurrentAt" TEXT NOT NULL,
    "ProgressOffset" INTEGER NOT NULL,
    "LastStep" INTEGER NULL,
    "LastEpoch" INTEGER NULL,
    "LastLoss" REAL NULL,
    "LastProgressAt" TEXT NULL,
    "TotalSteps" INTEGER NULL,
    "TrainingSeconds" REAL NOT NULL,
    "LastCheckpointBytes" INTEGER NULL,
    "FinalWeightsSha256" TEXT NULL,
    "LastError" TEXT NULL
);

CREATE TABLE "Migrations" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Migrations" PRIMARY KEY,
    "JobId" TEXT NOT NULL,
    "SourceCloudId" INTEGER NOT NULL,
    "TargetCloudId" INTEGER NOT NULL,
    "Trigger" TEXT NOT NULL,
    "Step" TEXT NOT NULL,
    "RequestedAt" TEXT NOT NULL,
    "StepEnteredAt" TEXT NOT NULL,
    "TransferAttempts" INTEGER NOT NULL,
    "RollbackAttempts" INTEGER NOT NULL,
    "LastFailure" TEXT NULL,
    "StopRequestedAt" TEXT NULL,
    "CheckpointName" TEXT NULL,
    "CheckpointStep" INTEGER NULL,
    "CheckpointBytes" INTEGER NULL,
    "TransferBytes" INTEGER NULL,
    "TransferSeconds" REAL NULL,
    "LaunchProgressOffset" INTEGER NULL,
    "FirstStepAfterResume" INTEGER NULL,
    "CompletedAt" TEXT NULL,
    "DowntimeSeconds" REAL NULL,
    "Error" TEXT NULL,
    "RollbackReason" TEXT NULL
);

CREATE INDEX "IX_JobEvents_JobId_At" ON "JobEvents" ("JobId", "At");

CREATE INDEX "IX_Jobs_Status" ON "Jobs" ("Status");

CREATE INDEX "IX_Migrations_JobId_RequestedAt" ON "Migrations" ("JobId", "RequestedAt");

CREATE INDEX "IX_Migrations_Step" ON "Migrations" ("Step");
