using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Data;

/// <summary>EF mapping of the telemetry tables (schema script 0005_telemetry.sql must match it; a test compares them).</summary>
internal static class TelemetryModel
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<HardwareSampleEntity>(e =>
        {
            e.ToTable("HardwareSamples");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.CloudId, x.AtMs });
        });

        builder.Entity<PowerSampleEntity>(e =>
        {
            e.ToTable("PowerSamples");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.CloudId, x.AtMs });
        });

        builder.Entity<EmissionSampleEntity>(e =>
        {
            e.ToTable("EmissionSamples");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.CloudId, x.AtMs });
            e.Property(x => x.Zone).HasMaxLength(64);
        });

        builder.Entity<CarbonReadingEntity>(e =>
        {
            e.ToTable("CarbonReadings");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Zone, x.Signal, x.AtMs }).IsUnique();
            e.Property(x => x.Zone).HasMaxLength(64);
        });
    }
}
