using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Tests.Web.Jobs;
using GreenConsole.Web.Clouds;
using Microsoft.Extensions.Logging.Abstractions;

namespace GreenConsole.Tests.Web.Clouds;

/// <summary>An administrator re-trusts a really re-keyed lab host; nothing else ever re-pins a key.</summary>
[Collection(SshLabCollection.Name)]
public sealed class HostKeyTrustTests(SshLabFixture lab) : IDisposable
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-hostkey-test-");

    [Fact]
    public async Task A_rekeyed_host_is_refused_until_an_administrator_pins_exactly_the_key_it_presents()
    {
        await using var host = await MigrationTestHost.StartAsync(lab, _folder.FullName, new MigrationTestClock(),
            new Dictionary<string, string?> { ["Migration:AutoMigrate"] = "false" });
        var trust = new HostKeyTrustService(host.Clouds, host.Shell, NullLogger<HostKeyTrustService>.Instance);
        var labCloud = lab.Cloud("GB");
        var cloud = await host.CloudAsync(labCloud.Zone);

        // Pinned on first use, as the health check does.
        var target = (await host.Clouds.GetTargetAsync(cloud.Id, CancellationToken.None))!;
        var first = await host.Shell.CheckAsync(target, CancellationToken.None);
        Assert.True(first.Reachable, first.Error);
        await host.Clouds.PinFingerprintAsync(cloud.Id, first.HostKeyFingerprint!, CancellationToken.None);
        Assert.False((await trust.ReviewAsync(cloud.Id, CancellationToken.None)).Differs);
        await host.Shell.DisconnectAsync(target, CancellationToken.None);

        await lab.RekeyAsync(labCloud.Number);
        var fresh = KnownHosts.FingerprintOf(File.ReadAllText(lab.HostKeyPublicFile(labCloud)).Split(' ')[1]);
        target = (await host.Clouds.GetTargetAsync(cloud.Id, CancellationToken.None))!;
        var refused = await Assert.ThrowsAsync<RemoteShellException>(() => host.Shell.RunAsync(target, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostKeyChanged, refused.Kind);

        var review = await trust.ReviewAsync(cloud.Id, CancellationToken.None);
        Assert.True(review.Differs);
        Assert.Equal(first.HostKeyFingerprint, review.Pinned);
        Assert.Equal(fresh, review.Presented[0]);

        // A fingerprint the host does not present is refused, and the old pin stays.
        var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            trust.TrustAsync(cloud.Id, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "admin", CancellationToken.None));
        Assert.Contains(fresh, wrong.Message, StringComparison.Ordinal);
        Assert.Equal(first.HostKeyFingerprint, (await host.Clouds.GetTargetAsync(cloud.Id, CancellationToken.None))!.PinnedFingerprint);

        var trusted = await trust.TrustAsync(cloud.Id, fresh, "admin", CancellationToken.None);
        Assert.Equal(fresh, trusted.Pinned);
        target = (await host.Clouds.GetTargetAsync(cloud.Id, CancellationToken.None))!;
        Assert.Equal(fresh, target.PinnedFingerprint);
        Assert.Equal(0, (await host.Shell.RunAsync(target, "true", Minute, CancellationToken.None)).ExitCode);
        Assert.False((await trust.ReviewAsync(cloud.Id, CancellationToken.None)).Differs);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
