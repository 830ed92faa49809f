-- Schema v7: researchers' own jobs. A definition is a reusable template (JSON, secret values encrypted with Data
-- Protection); a job keeps its own copy, so editing a template never changes a job that already runs.
CREATE TABLE "JobDefinitions" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_JobDefinitions" PRIMARY KEY,
    "Name" TEXT NOT NULL,
    "DefinitionJson" TEXT NOT NULL,
    "CreatedAt" TEXT NOT NULL,
    "UpdatedAt" TEXT NOT NULL
);
CREATE UNIQUE INDEX "IX_JobDefinitions_Name" ON "JobDefinitions" ("Name");
ALTER TABLE "Jobs" ADD COLUMN "Mode" TEXT NULL;
ALTER TABLE "Jobs" ADD COLUMN "DefinitionJson" TEXT NULL;
