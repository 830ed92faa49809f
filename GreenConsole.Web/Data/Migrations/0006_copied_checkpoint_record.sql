-- Schema v6: the controller's own record of a relayed checkpoint (file -> size and SHA-256, JSON). The target is
-- verified against it, never against the manifest the source wrote.
ALTER TABLE "Migrations" ADD COLUMN "CopiedRecord" TEXT NULL;
