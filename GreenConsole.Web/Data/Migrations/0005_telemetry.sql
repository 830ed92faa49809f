-- Schema v5: telemetry time series (hardware, power, emissions, carbon readings).
-- Carbon-intensity readings used, each with its provenance. Times are Unix milliseconds (UTC).

CREATE TABLE "HardwareSamples" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_HardwareSamples" PRIMARY KEY AUTOINCREMENT,
    "CpuUtilization" REAL NULL,
    "CpuUtilizationMin" REAL NULL,
    "CpuUtilizationMax" REAL NULL,
    "MemoryUsedBytes" REAL NULL,
    "MemoryTotalBytes" REAL NULL,
    "GpuUtilization" REAL NULL,
    "GpuCount" INTEGER NULL,
    "Missing" TEXT NULL,
    "CloudId" INTEGER NOT NULL,
    "AtMs" INTEGER NOT NULL,
    "Resolution" INTEGER NOT NULL,
    "Count" INTEGER NOT NULL
);

CREATE TABLE "PowerSamples" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_PowerSamples" PRIMARY KEY AUTOINCREMENT,
    "TotalWatts" REAL NOT NULL,
    "TotalWattsMin" REAL NOT NULL,
    "TotalWattsMax" REAL NOT NULL,
    "CpuWatts" REAL NULL,
    "GpuWatts" REAL NULL,
    "RamWatts" REAL NULL,
    "Quality" INTEGER NOT NULL,
    "CpuQuality" INTEGER NULL,
    "GpuQuality" INTEGER NULL,
    "RamQuality" INTEGER NULL,
    "CpuMethod" TEXT NULL,
    "GpuMethod" TEXT NULL,
    "RamMethod" TEXT NULL,
    "Missing" TEXT NULL,
    "CloudId" INTEGER NOT NULL,
    "AtMs" INTEGER NOT NULL,
    "Resolution" INTEGER NOT NULL,
    "Count" INTEGER NOT NULL
);

CREATE TABLE "EmissionSamples" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_EmissionSamples" PRIMARY KEY AUTOINCREMENT,
    "Zone" TEXT NOT NULL,
    "IntervalSeconds" REAL NOT NULL,
    "GapSeconds" REAL NOT NULL,
    "Kwh" REAL NOT NULL,
    "Grams" REAL NOT NULL,
    "KwhWithoutIntensity" REAL NOT NULL,
    "IntensityGramsPerKwh" REAL NULL,
    "IntensityQuality" INTEGER NULL,
    "IntensitySource" TEXT NULL,
    "Pue" REAL NOT NULL,
    "CloudId" INTEGER NOT NULL,
    "AtMs" INTEGER NOT NULL,
    "Resolution" INTEGER NOT NULL,
    "Count" INTEGER NOT NULL
);

CREATE TABLE "CarbonReadings" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_CarbonReadings" PRIMARY KEY AUTOINCREMENT,
    "Zone" TEXT NOT NULL,
    "AtMs" INTEGER NOT NULL,
    "Signal" INTEGER NOT NULL,
    "GramsPerKwh" REAL NOT NULL,
    "Quality" INTEGER NOT NULL,
    "Source" TEXT NOT NULL,
    "Note" TEXT NULL,
    "SourceEstimated" INTEGER NOT NULL,
    "AgeSeconds" REAL NULL,
    "ObtainedAtMs" INTEGER NOT NULL
);

CREATE INDEX "IX_HardwareSamples_CloudId_AtMs" ON "HardwareSamples" ("CloudId", "AtMs");

CREATE INDEX "IX_PowerSamples_CloudId_AtMs" ON "PowerSamples" ("CloudId", "AtMs");

CREATE INDEX "IX_EmissionSamples_CloudId_AtMs" ON "EmissionSamples" ("CloudId", "AtMs");

CREATE UNIQUE INDEX "IX_CarbonReadings_Zone_Signal_AtMs" ON "CarbonReadings" ("Zone", "Signal", "AtMs");
