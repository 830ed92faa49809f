using System.Text;
using System.Text.Json;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Web.Data;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Clouds;

public sealed class CloudImportServiceTests : IAsyncLifetime
{
    private const string Header = "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name";

    private static readonly string ThreeClouds = string.Join("\r\n",
        Header,
        "203.0.113.10,trainer,change-me-1,22,KR,\"대한민국\"",
        "198.51.100.7,trainer,change-me-2,2222,DE,Germany",
        "2001:db8::10,trainer,change-me-3,22,US,United States") + "\r\n";

    private readonly CloudsTestClock clock = new(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private DataTestDatabase db = null!;

    private CloudImportService Importer => db.Services.GetRequiredService<CloudImportService>();

    private CloudRepository Repository => db.Services.GetRequiredService<CloudRepository>();

    public async Task InitializeAsync()
    {
        db = DataTestDatabase.Create(clock);
        await db.Services.MigrateGreenConsoleDatabaseAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await db.DisposeAsync();

    private Task<CloudImportReport> ImportAsync(string csv, CloudImportMode mode = CloudImportMode.AllOrNothing, bool dryRun = false) =>
        Importer.ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), mode, dryRun, CancellationToken.None);

    private async Task<List<(string Key, DateTimeOffset UpdatedAt, string? Cipher)>> SnapshotAsync()
    {
        await using var context = db.NewContext();
        var clouds = await context.Clouds.AsNoTracking().ToListAsync();
        return clouds.OrderBy(c => c.NaturalKey, StringComparer.Ordinal).Select(c => (c.NaturalKey, c.UpdatedAt, c.ProtectedPassword)).ToList();
    }

    [Fact]
    public async Task Creates_clouds_with_encrypted_passwords()
    {
        var report = await ImportAsync(ThreeClouds);

        Assert.True(report.Stored);
        Assert.Equal((3, 0, 0, 0), (report.Created, report.Updated, report.Unchanged, report.Rejected));
        Assert.All(report.Rows, r => Assert.NotNull(r.CloudId));
        await using var context = db.NewContext();
        var stored = await context.Clouds.AsNoTracking().ToListAsync();
        Assert.Equal(3, stored.Count);
        Assert.All(stored, c => Assert.DoesNotContain("change-me", c.ProtectedPassword!, StringComparison.Ordinal));
        Assert.All(stored, c => Assert.Equal(clock.GetUtcNow(), c.CreatedAt));
        Assert.Equal(1, await context.ImportBatches.CountAsync());

        var seoul = report.Rows.Single(r => r.Host == "203.0.113.10");
        var target = await Repository.GetTargetAsync(seoul.CloudId!.Value, CancellationToken.None);
        Assert.Equal(("203.0.113.10", 22, "trainer", "change-me-1"), (target!.Host, target.Port, target.Username, target.Password));
        Assert.Equal(seoul.CloudId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), target.CloudId);
    }

    [Fact]
    public async Task Reimporting_the_same_file_changes_nothing()
    {
        await ImportAsync(ThreeClouds);
        var before = await SnapshotAsync();
        clock.Advance(TimeSpan.FromHours(1));

        var again = await ImportAsync(ThreeClouds);

        Assert.True(again.Stored);
        Assert.Equal(3, again.Unchanged);
        Assert.All(again.Rows, r => Assert.Equal(CloudImportRowStatus.Unchanged, r.Status));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_changed_row_updates_only_that_cloud()
    {
        await ImportAsync(ThreeClouds);
        var before = await SnapshotAsync();
        clock.Advance(TimeSpan.FromHours(1));

        var report = await ImportAsync(ThreeClouds.Replace("change-me-2", "rotated-2", StringComparison.Ordinal) + "192.0.2.5,ops,change-me-5,22,FR,France\r\n");

        Assert.Equal((1, 1, 2), (report.Created, report.Updated, report.Unchanged));
        Assert.Equal(CloudImportRowStatus.Updated, report.Rows.Single(r => r.Host == "198.51.100.7").Status);
        var after = await SnapshotAsync();
        Assert.Equal(4, after.Count);
        var changed = after.Single(c => c.Key.StartsWith("198.51.100.7", StringComparison.Ordinal));
        Assert.Equal(clock.GetUtcNow(), changed.UpdatedAt);
        Assert.Equal(before.Where(c => !c.Key.StartsWith("198.51.100.7", StringComparison.Ordinal)), after.Where(c => before.Any(b => b.Key == c.Key) && !c.Key.StartsWith("198.51.100.7", StringComparison.Ordinal)));
        var id = report.Rows.Single(r => r.Host == "198.51.100.7").CloudId!.Value;
        Assert.Equal("rotated-2", (await Repository.GetTargetAsync(id, CancellationToken.None))!.Password);
    }

    [Theory]
    [InlineData(",Zone", ",DE-X", "Zone")]
    [InlineData(",Label", ",new label", "Label")]
    [InlineData(",PUE", ",1.4", "PUE")]
    [InlineData(",Threshold", ",250", "Threshold")]
    [InlineData(",Key Path", ",/keys/id", "Key Path")]
    public async Task Any_changed_field_counts_as_an_update(string headerSuffix, string valueSuffix, string field)
    {
        await ImportAsync(Header + "\r\n198.51.100.7,trainer,change-me-2,2222,DE,Germany\r\n");

        var report = await ImportAsync(Header + headerSuffix + "\r\n198.51.100.7,trainer,change-me-2,2222,DE,Germany" + valueSuffix + "\r\n");

        Assert.True(report.Updated == 1, $"changing {field} should update the cloud");
    }

    [Fact]
    public async Task Removing_the_password_clears_it()
    {
        await ImportAsync(Header + ",Key Path\r\n198.51.100.7,trainer,change-me-2,2222,DE,Germany,/keys/id\r\n");

        var report = await ImportAsync(Header + ",Key Path\r\n198.51.100.7,trainer,,2222,DE,Germany,/keys/id\r\n");

        Assert.Equal(1, report.Updated);
        var summary = Assert.Single(await Repository.ListAsync(CancellationToken.None));
        Assert.False(summary.HasPassword);
        Assert.True(summary.HasKey);
    }

    [Fact]
    public async Task All_or_nothing_stores_nothing_when_a_row_is_rejected()
    {
        await ImportAsync(ThreeClouds);
        var before = await SnapshotAsync();
        clock.Advance(TimeSpan.FromHours(1));
        var csv = string.Join("\r\n",
            Header,
            "203.0.113.10,trainer,rotated-1,22,KR,\"대한민국\"",
            "192.0.2.5,ops,change-me-5,22,FR,France",
            "192.0.2.6,ops,change-me-6,70000,FR,France",
            "192.0.2.7,ops,,22,XX,Nowhere") + "\r\n";

        var report = await ImportAsync(csv);

        Assert.False(report.Stored);
        Assert.Equal((2, 2), (report.Accepted, report.Rejected));
        Assert.Equal([CloudImportRowStatus.Accepted, CloudImportRowStatus.Accepted, CloudImportRowStatus.Rejected, CloudImportRowStatus.Rejected], report.Rows.Select(r => r.Status));
        Assert.Equal(["Port"], report.Rows[2].Reasons.Select(r => r.Field));
        Assert.Equal(["Password", "Country Code"], report.Rows[3].Reasons.Select(r => r.Field));
        Assert.Equal((4, 70000), (report.Rows[2].RowNumber, report.Rows[2].Port));
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(3, await db.ScalarAsync("SELECT count(*) FROM Clouds"));
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM ImportBatches"));
        var target = await Repository.GetTargetAsync(report.Rows[0].CloudId!.Value, CancellationToken.None);
        Assert.Equal("change-me-1", target!.Password);
    }

    [Fact]
    public async Task Valid_rows_only_stores_the_good_rows()
    {
        var csv = ThreeClouds + "192.0.2.6,ops,change-me-6,0,FR,France\r\n";

        var report = await ImportAsync(csv, CloudImportMode.ValidRowsOnly);

        Assert.True(report.Stored);
        Assert.Equal((3, 1), (report.Created, report.Rejected));
        Assert.Equal(3, await db.ScalarAsync("SELECT count(*) FROM Clouds"));
        var rejected = report.Rows.Single(r => r.Status == CloudImportRowStatus.Rejected);
        Assert.Equal(("192.0.2.6", "ops", 5), (rejected.Host, rejected.Username, rejected.RowNumber));
    }

    [Fact]
    public async Task Valid_rows_only_with_no_valid_row_stores_nothing()
    {
        var report = await ImportAsync(Header + "\r\n192.0.2.6,ops,pw,0,FR,France\r\n", CloudImportMode.ValidRowsOnly);

        Assert.False(report.Stored);
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM ImportBatches"));
    }

    [Fact]
    public async Task Dry_run_predicts_and_stores_nothing()
    {
        await ImportAsync(ThreeClouds);
        var before = await SnapshotAsync();

        var report = await ImportAsync(ThreeClouds.Replace("change-me-3", "rotated-3", StringComparison.Ordinal) + "192.0.2.5,ops,change-me-5,22,FR,France\r\n", dryRun: true);

        Assert.False(report.Stored);
        Assert.True(report.DryRun);
        Assert.Equal((1, 1, 2), (report.Created, report.Updated, report.Unchanged));
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM ImportBatches"));
    }

    [Fact]
    public async Task File_errors_store_nothing()
    {
        var report = await ImportAsync(Header + ",GPU\r\n203.0.113.10,trainer,pw,22,KR,Korea,A100\r\n");

        Assert.False(report.Stored);
        Assert.True(report.HasFileErrors);
        Assert.Empty(report.Rows);
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM Clouds"));
    }

    [Fact]
    public async Task Report_never_contains_a_password()
    {
        var csv = ThreeClouds + "192.0.2.6,ops,Secret-" + new string('x', 300) + ",22,FR,France\r\n192.0.2.7,ops,\"Secret\tTab\",22,FR,France\r\n";

        var report = await ImportAsync(csv, CloudImportMode.ValidRowsOnly);

        var json = JsonSerializer.Serialize(report);
        Assert.DoesNotContain("change-me", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", json, StringComparison.Ordinal);
        Assert.DoesNotContain("change-me", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repository_lists_pins_records_health_and_deletes()
    {
        await ImportAsync(Header + ",Key Path\r\n203.0.113.10,trainer,change-me-1,22,KR,\"대한민국\",\r\n198.51.100.7,trainer,,2222,DE,Germany,/keys/id\r\n");
        var list = await Repository.ListAsync(CancellationToken.None);
        Assert.Equal(2, list.Count);
        var seoul = list.Single(c => c.Host == "203.0.113.10");
        var frankfurt = list.Single(c => c.Host == "198.51.100.7");
        Assert.Equal((true, false), (seoul.HasPassword, seoul.HasKey));
        Assert.Equal((false, true, "/keys/id"), (frankfurt.HasPassword, frankfurt.HasKey, frankfurt.KeyPath));
        Assert.Equal("대한민국", seoul.CountryName);

        Assert.True(await Repository.PinFingerprintAsync(seoul.Id, "SHA256:abc", CancellationToken.None));
        var checkedAt = clock.GetUtcNow().AddMinutes(5);
        Assert.True(await Repository.RecordHealthAsync(seoul.Id, new ConnectionCheck(false, TimeSpan.FromMilliseconds(12.5), null, RemoteErrorKind.AuthenticationFailed, "denied"), checkedAt, CancellationToken.None));

        var target = await Repository.GetTargetAsync(seoul.Id, CancellationToken.None);
        Assert.Equal("SHA256:abc", target!.PinnedFingerprint);
        var found = await Repository.FindAsync(seoul.Id, CancellationToken.None);
        Assert.Equal((checkedAt, (bool?)false, (double?)12.5, "AuthenticationFailed", "denied"), (found!.LastCheckedAt, found.Reachable, found.LatencyMs, found.LastErrorKind, found.LastError));

        // A re-import keeps the pinned key and the health data.
        var again = await ImportAsync(Header + ",Key Path\r\n203.0.113.10,trainer,change-me-1,22,KR,\"대한민국\",\r\n");
        Assert.Equal(1, again.Unchanged);
        Assert.Equal("SHA256:abc", (await Repository.FindAsync(seoul.Id, CancellationToken.None))!.HostKeyFingerprint);

        Assert.True(await Repository.DeleteAsync(frankfurt.Id, CancellationToken.None));
        Assert.False(await Repository.DeleteAsync(frankfurt.Id, CancellationToken.None));
        Assert.Null(await Repository.GetTargetAsync(frankfurt.Id, CancellationToken.None));
        Assert.False(await Repository.PinFingerprintAsync(frankfurt.Id, "SHA256:x", CancellationToken.None));
        Assert.Single(await Repository.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Sample_file_imports_cleanly()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GreenConsole.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        await using var stream = File.OpenRead(Path.Combine(dir.FullName, "ssh_data.sample.csv"));

        var report = await Importer.ImportAsync(stream, CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);

        Assert.True(report.Stored, string.Join("; ", report.Rows.SelectMany(r => r.Reasons)));
        Assert.Equal(4, report.Created);
        Assert.Contains(report.Rows, r => r.Host == "2001:db8::20");
    }

    [Fact]
    public async Task A_lost_key_ring_makes_the_next_import_store_the_passwords_again()
    {
        await ImportAsync(ThreeClouds);
        var otherKeys = Path.Combine(db.Folder.FullName, "other-keys");
        var replaced = DataTestDatabase.Create(clock, db.Folder.FullName, otherKeys).Services;
        try
        {
            var repository = replaced.GetRequiredService<CloudRepository>();
            var id = (await repository.ListAsync(CancellationToken.None))[0].Id;
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => repository.GetTargetAsync(id, CancellationToken.None));
            Assert.Contains("Re-import", error.Message, StringComparison.Ordinal);

            var report = await replaced.GetRequiredService<CloudImportService>()
                .ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(ThreeClouds)), CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);

            Assert.Equal(3, report.Updated);
            Assert.Equal("change-me-1", (await repository.GetTargetAsync(report.Rows[0].CloudId!.Value, CancellationToken.None))!.Password);
        }
        finally
        {
            await replaced.DisposeAsync();
        }
    }

    [Fact]
    public void Db_context_is_also_available_as_a_scoped_service()
    {
        using var scope = db.Services.CreateScope();

        Assert.NotNull(scope.ServiceProvider.GetRequiredService<GreenConsole.Web.Data.GreenConsoleDbContext>());
    }
}
