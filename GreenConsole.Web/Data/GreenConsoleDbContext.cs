using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace GreenConsole.Web.Data;

/// <summary>
/// The app's database. Identity's tables are part of schema v1 so that adding sign-in later needs no upgrade.
/// The schema is owned by the SQL scripts in Data/Migrations (see <see cref="SchemaMigrator"/>); a test keeps
/// this model and those scripts identical.
/// </summary>
public sealed class GreenConsoleDbContext(DbContextOptions<GreenConsoleDbContext> options)
    : IdentityDbContext<IdentityUser, IdentityRole, string>(options)
{
    public DbSet<CloudEntity> Clouds => Set<CloudEntity>();

    public DbSet<ImportBatchEntity> ImportBatches => Set<ImportBatchEntity>();

    public DbSet<TerminalAuditEntity> TerminalAudit => Set<TerminalAuditEntity>();

    public DbSet<JobEntity> Jobs => Set<JobEntity>();

    public DbSet<MigrationEntity> Migrations => Set<MigrationEntity>();

    public DbSet<JobEventEntity> JobEvents => Set<JobEventEntity>();
    public DbSet<JobDefinitionEntity> JobDefinitions => Set<JobDefinitionEntity>();

    public DbSet<HardwareSampleEntity> HardwareSamples => Set<HardwareSampleEntity>();

    public DbSet<PowerSampleEntity> PowerSamples => Set<PowerSampleEntity>();

    public DbSet<EmissionSampleEntity> EmissionSamples => Set<EmissionSampleEntity>();

    public DbSet<CarbonReadingEntity> CarbonReadings => Set<CarbonReadingEntity>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<CloudEntity>(cloud =>
        {
            cloud.ToTable("Clouds");
            cloud.HasKey(c => c.Id);
            cloud.HasIndex(c => c.NaturalKey).IsUnique();
            cloud.Property(c => c.NaturalKey).HasMaxLength(400);
            cloud.Property(c => c.Host).HasMaxLength(253);
            cloud.Property(c => c.Username).HasMaxLength(64);
            cloud.Property(c => c.KeyPath).HasMaxLength(1024);
            cloud.Property(c => c.CountryCode).HasMaxLength(2);
            cloud.Property(c => c.CountryName).HasMaxLength(200);
            cloud.Property(c => c.Zone).HasMaxLength(64);
            cloud.Property(c => c.Label).HasMaxLength(100);
            cloud.Property(c => c.HostKeyFingerprint).HasMaxLength(200);
            cloud.Property(c => c.LastErrorKind).HasMaxLength(64);
        });

        builder.Entity<ImportBatchEntity>(batch =>
        {
            batch.ToTable("ImportBatches");
            batch.HasKey(b => b.Id);
            batch.Property(b => b.Mode).HasMaxLength(32);
        });
        builder.Entity<TerminalAuditEntity>(audit =>
        {
            audit.ToTable("TerminalAudit");
            audit.HasKey(a => a.Id);
            audit.Property(a => a.SessionId).HasMaxLength(64);
            audit.Property(a => a.UserName).HasMaxLength(256);
            audit.Property(a => a.CloudName).HasMaxLength(400);
            audit.Property(a => a.CloseReason).HasMaxLength(200);
            audit.HasIndex(a => a.OpenedAt);
        });

        builder.Entity<JobEntity>(job =>
        {
            job.ToTable("Jobs");
            job.HasKey(j => j.Id);
            job.Property(j => j.Id).HasMaxLength(64);
            job.Property(j => j.Name).HasMaxLength(200);
            job.Property(j => j.TrainerArguments).HasMaxLength(1000);
            job.Property(j => j.Status).HasConversion<string>().HasMaxLength(32);
            job.Property(j => j.FinalWeightsSha256).HasMaxLength(64);
            job.Property(j => j.Mode).HasMaxLength(32);
            job.HasIndex(j => j.Status);
        });

        builder.Entity<JobDefinitionEntity>(d =>
        {
            d.ToTable("JobDefinitions");
            d.HasKey(x => x.Id);
            d.HasIndex(x => x.Name).IsUnique();
        });

        builder.Entity<MigrationEntity>(migration =>
        {
            migration.ToTable("Migrations");
            migration.HasKey(m => m.Id);
            migration.Property(m => m.JobId).HasMaxLength(64);
            migration.Property(m => m.Trigger).HasMaxLength(16);
            migration.Property(m => m.Step).HasMaxLength(32);
            migration.Property(m => m.LastFailure).HasMaxLength(32);
            migration.Property(m => m.CheckpointName).HasMaxLength(64);
            migration.HasIndex(m => new { m.JobId, m.RequestedAt });
            migration.HasIndex(m => m.Step);
        });

        builder.Entity<JobEventEntity>(evt =>
        {
            evt.ToTable("JobEvents");
            evt.HasKey(e => e.Id);
            evt.Property(e => e.JobId).HasMaxLength(64);
            evt.Property(e => e.Kind).HasMaxLength(16);
            evt.Property(e => e.FromStep).HasMaxLength(32);
            evt.Property(e => e.ToStep).HasMaxLength(32);
            evt.HasIndex(e => new { e.JobId, e.At });
        });


        TelemetryModel.Configure(builder);
    }
}
