using System.Diagnostics;
using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;

namespace GreenConsole.Tests.Agents.Ssh;

/// <summary>
/// The SSH adapter against a lab cloud whose own user misbehaves: a login script that floods output, changed
/// credentials, hostile target fields. The controller must stay bounded and never trust what it should not.
/// </summary>
[Collection(SshLabCollection.Name)]
public sealed class HostileShellTests(SshLabFixture lab)
{
    [Fact]
    public async Task Changed_credentials_never_ride_on_the_open_connection()
    {
        await using var harness = new SshShellHarness();
        var good = lab.Cloud("US-CAL-CISO").KeyTarget;
        Assert.Equal(0, (await harness.Shell.RunAsync(good, "true", TimeSpan.FromSeconds(30), CancellationToken.None)).ExitCode);

        // The same cloud re-imported with a key that the host does not know.
        var folder = Directory.CreateTempSubdirectory("gc-hostile-key-");
        try
        {
            var wrongKey = Path.Combine(folder.FullName, "wrong_ed25519");
            using (var keygen = Process.Start("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey])!)
            {
                await keygen.WaitForExitAsync();
            }

            var wrong = good with { KeyPath = wrongKey, Password = null };
            var e = await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.RunAsync(wrong, "true", TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.Equal(RemoteErrorKind.AuthenticationFailed, e.Kind);
            Assert.Contains("credentials, key or pinned host key changed", harness.Log.All, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        // A disconnect (cloud deleted) leaves no master behind.
        Assert.Equal(0, (await harness.Shell.RunAsync(good, "true", TimeSpan.FromSeconds(30), CancellationToken.None)).ExitCode);
        await harness.Shell.DisconnectAsync(good, CancellationToken.None);
        Assert.False(File.Exists(harness.Shell.ControlPath(good)));
    }

    [Fact]
    public async Task Long_lived_ssh_children_inherit_no_app_secret()
    {
        const string variable = "Auth__AdminPassword";
        const string secret = "hostile-env-secret-7c1f";
        Environment.SetEnvironmentVariable(variable, secret);
        try
        {
            await using var harness = new SshShellHarness();
            var cloud = lab.Cloud("KR").Target;
            Assert.Equal(0, (await harness.Shell.RunAsync(cloud, "true", TimeSpan.FromSeconds(30), CancellationToken.None)).ExitCode);
            var masters = SshShellHarness.ProcessesMentioning(harness.Shell.ControlDirectory);
            Assert.NotEmpty(masters);
            foreach (var pid in masters)
            {
                var environ = await File.ReadAllTextAsync($"/proc/{pid}/environ");
                Assert.DoesNotContain(secret, environ, StringComparison.Ordinal);
                Assert.DoesNotContain(variable, environ, StringComparison.Ordinal);
            }

            // A command's own client (the master renames its process title, a client keeps its argv).
            var probe = "gc-argv-probe-" + Guid.NewGuid().ToString("N")[..8];
            var running = harness.Shell.RunAsync(cloud, $"sleep 2; echo {probe}", TimeSpan.FromSeconds(30), CancellationToken.None);
            var clients = await WaitForProcessesAsync(probe);
            foreach (var pid in clients)
            {
                var argv = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0');
                Assert.DoesNotContain(secret, await File.ReadAllTextAsync($"/proc/{pid}/environ"), StringComparison.Ordinal);
                // "--" ends the options: nothing after it, the host included, can be read as one.
                var dashes = Array.IndexOf(argv, "--");
                Assert.True(dashes > 0 && Array.IndexOf(argv, cloud.Host) == dashes + 1, string.Join(' ', argv));
            }

            Assert.Contains(probe, (await running).StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private static async Task<IReadOnlyList<int>> WaitForProcessesAsync(string text)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var pids = SshShellHarness.ProcessesMentioning(text).Where(p => File.Exists($"/proc/{p}/exe") && File.ReadAllText($"/proc/{p}/cmdline").StartsWith("/usr/bin/ssh", StringComparison.Ordinal)).ToList();
            if (pids.Count > 0 || DateTime.UtcNow > until)
            {
                Assert.NotEmpty(pids);
                return pids;
            }

            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData("-oProxyCommand=touch /tmp/x", "gc", "host")]
    [InlineData("127.0.0.1", "o'neil", "user name")]
    [InlineData("127.0.0.1", "a%b", "user name")]
    [InlineData("127.0.0.1", "-oProxyCommand=x", "user name")]
    public async Task Hostile_target_fields_are_refused_on_every_path_the_terminal_included(string host, string user, string field)
    {
        await using var harness = new SshShellHarness();
        var target = new SshTarget { CloudId = "hostile", Host = host, Port = 22, Username = user, Password = "x" };
        var run = await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.RunAsync(target, "true", TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(RemoteErrorKind.ClientError, run.Kind);
        Assert.Contains(field, run.Message, StringComparison.Ordinal);
        var terminal = await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.InteractiveStartAsync(target, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.ClientError, terminal.Kind);
    }

    [Fact]
    public async Task A_key_path_outside_the_key_folders_is_refused()
    {
        await using var harness = new SshShellHarness(o => o.KeyDirectories = "/nonexistent-gc-keys");
        var target = lab.Cloud("KR").KeyTarget;
        var e = await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.RunAsync(target, "true", TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(RemoteErrorKind.ClientError, e.Kind);
        Assert.Contains("outside the key folders", e.Message, StringComparison.Ordinal);
        var etc = target with { KeyPath = "/etc/shadow" };
        Assert.Contains("outside the key folders",
            (await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.RunAsync(etc, "true", TimeSpan.FromSeconds(5), CancellationToken.None))).Message,
            StringComparison.Ordinal);
    }
}

/// <summary>Runs alone (no other test allocates meanwhile), so the process-wide allocation count measures this read only.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileMemoryCollection : ICollectionFixture<SshLabFixture>
{
    public const string Name = "hostile-memory";
}

[Collection(HostileMemoryCollection.Name)]
public sealed class HostileOutputFloodTests(SshLabFixture lab)
{
    [Fact]
    public async Task A_login_script_printing_400_MB_ends_the_command_at_the_cap_and_memory_stays_bounded()
    {
        await using var harness = new SshShellHarness(o => o.MaxOutputBytes = 4 * 1024 * 1024);
        var cloud = lab.Cloud("GB").Target;
        var bashrc = "$HOME/.bashrc";
        // First line of .bashrc: Debian's own returns at once for a non-interactive shell, and sshd's bash reads it.
        await harness.Shell.RunAsync(cloud,
            $"touch {bashrc}; cp -p {bashrc} {bashrc}.gc-test; {{ printf '%s\\n' 'head -c 400000000 /dev/zero | tr \"\\\\0\" x'; cat {bashrc}.gc-test; }} > {bashrc}",
            TimeSpan.FromSeconds(30), CancellationToken.None);
        try
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var e = await Assert.ThrowsAsync<RemoteShellException>(() => harness.Shell.RunAsync(cloud, "true", TimeSpan.FromSeconds(60), CancellationToken.None));
            Assert.Equal(RemoteErrorKind.OutputLimitExceeded, e.Kind);
            Assert.Contains("Ssh:MaxOutputBytes", e.Message, StringComparison.Ordinal);
            var check = await harness.Shell.CheckAsync(cloud, CancellationToken.None);
            Assert.False(check.Reachable);
            Assert.Equal(RemoteErrorKind.OutputLimitExceeded, check.ErrorKind);
            var grew = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            // Unbounded, 400 MB of output is over 800 MB of strings; capped, two reads of 4 MiB and their buffers.
            Assert.True(grew < 150L * 1024 * 1024, $"allocated {grew / 1024 / 1024} MiB while reading a capped flood");
        }
        finally
        {
            // The flood is in .bashrc, so the clean-up must not start a shell that reads it: sftp-less, use bash --norc.
            var restore = Process.Start(new ProcessStartInfo("bash", ["-c", $"h=$(getent passwd {cloud.Username} | cut -d: -f6); if [ -f \"$h/.bashrc.gc-test\" ]; then mv -f \"$h/.bashrc.gc-test\" \"$h/.bashrc\"; else sed -i '/head -c 400000000/d' \"$h/.bashrc\"; fi"]))!;
            await restore.WaitForExitAsync();
        }

        var after = await harness.Shell.RunAsync(cloud, "echo ok", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal("ok\n", after.StandardOutput);
    }

}
