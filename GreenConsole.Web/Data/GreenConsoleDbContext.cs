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

        TelemetryModel.Configure(builder);
    }
}
