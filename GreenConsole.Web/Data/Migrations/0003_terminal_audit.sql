-- Schema v3: audit log of browser terminals.

CREATE TABLE "TerminalAudit" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_TerminalAudit" PRIMARY KEY AUTOINCREMENT,
    "SessionId" TEXT NOT NULL,
    "UserName" TEXT NOT NULL,
    "CloudId" INTEGER NOT NULL,
    "CloudName" TEXT NOT NULL,
    "OpenedAt" TEXT NOT NULL,
    "ClosedAt" TEXT NULL,
    "CloseReason" TEXT NULL
);

CREATE INDEX "IX_TerminalAudit_OpenedAt" ON "TerminalAudit" ("OpenedAt");
