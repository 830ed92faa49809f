using System.Diagnostics;
using System.Security.Cryptography;
using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using Xunit.Abstractions;

namespace GreenConsole.Tests.Agents.Ssh;

[Collection(SshLabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OpenSshRemoteShellTests(SshLabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Password_login_separates_streams_and_returns_exit_code_as_result()
    {
        Assert.True(lab.IsRoot, "CI runs as root, where the lab has password logins");
        var cloud = lab.Cloud("KR");
        Assert.NotNull(cloud.Password);
        await using var h = new SshShellHarness();

        var r = await h.Shell.RunAsync(cloud.Target, "echo out; echo err >&2; id -un; exit 7", Minute, CancellationToken.None);

        Assert.Equal(7, r.ExitCode);
        Assert.False(r.Succeeded);
        Assert.Equal($"out\n{cloud.Username}\n", r.StandardOutput);
        Assert.Equal("err\n", r.StandardError);
        Assert.True(r.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task Exit_255_from_the_remote_program_is_a_result_not_a_connection_failure()
    {
        await using var h = new SshShellHarness();
        var r = await h.Shell.RunAsync(lab.Cloud("DE").Target, "echo 'cat: x: Permission denied' >&2; exit 255", Minute, CancellationToken.None);
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("Permission denied", r.StandardError);
    }

    [Fact]
    public async Task Key_login_works_and_each_cloud_has_its_own_base_directory()
    {
        await using var h = new SshShellHarness();
        foreach (var cloud in lab.Clouds)
        {
            var r = await h.Shell.RunAsync(cloud.KeyTarget, "printf '%s|%s' \"$(id -un)\" \"$GC_CLOUD_BASE\"", Minute, CancellationToken.None);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal($"{cloud.Username}|{cloud.BaseDir}", r.StandardOutput);
        }
    }

    [Fact]
    public async Task Check_reports_reachability_round_trip_and_the_lab_host_key()
    {
        await using var h = new SshShellHarness();
        var cloud = lab.Cloud("GB");

        var check = await h.Shell.CheckAsync(cloud.Target, CancellationToken.None);

        Assert.True(check.Reachable, check.Error);
        Assert.NotNull(check.RoundTrip);
        Assert.Null(check.ErrorKind);
        Assert.Equal(ExpectedFingerprint(cloud), check.HostKeyFingerprint);
        Assert.True(File.Exists(h.Shell.ControlPath(cloud.Target)));
        Assert.True(h.Shell.ControlPath(cloud.Target).Length < 104);
    }

    [Fact]
    public async Task Many_parallel_commands_on_one_cloud_share_the_master_within_session_limits()
    {
        await using var h = new SshShellHarness(o => o.MaxSessionsPerCloud = 8);
        var target = lab.Cloud("US").Target;
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            h.Shell.RunAsync(target, $"echo {i}", Minute, CancellationToken.None)));
        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"{i}\n"), results.Select(r => r.StandardOutput));
        Assert.Single(SshShellHarness.ProcessesMentioning(h.Shell.ControlDirectory));
    }

    [Fact]
    public async Task Timeout_kills_the_command_here_and_on_the_cloud()
    {
        await using var h = new SshShellHarness();
        var target = lab.Cloud("KR").Target;
        var marker = Random.Shared.Next(100000, 999999);
        var sw = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RemoteShellException>(() =>
            h.Shell.RunAsync(target, $"sleep {marker}; echo never", TimeSpan.FromSeconds(2), CancellationToken.None));

        Assert.Equal(RemoteErrorKind.Timeout, ex.Kind);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
        await AssertRemoteGone(h.Shell, target, $"sleep {marker}");
        Assert.Empty(ProcessesOfThisTest(marker));
    }

    [Fact]
    public async Task Cancellation_stops_the_command_here_and_on_the_cloud()
    {
        await using var h = new SshShellHarness();
        var target = lab.Cloud("DE").Target;
        await h.Shell.RunAsync(target, "true", Minute, CancellationToken.None);
        var marker = Random.Shared.Next(100000, 999999);
        using var cts = new CancellationTokenSource();
        var running = h.Shell.RunAsync(target, $"sleep {marker}", Minute, cts.Token);
        await WaitUntil(async () => (await h.Shell.RunAsync(target, $"pgrep -f '[s]leep {marker}'", Minute, CancellationToken.None)).ExitCode == 0);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await AssertRemoteGone(h.Shell, target, $"sleep {marker}");
        Assert.Empty(ProcessesOfThisTest(marker));
    }

    [Fact]
    public async Task Unreachable_port_is_HostUnreachable_and_fast()
    {
        await using var h = new SshShellHarness();
        var target = lab.Cloud("KR").Target with { CloudId = "nowhere", Port = SshLabFixture.UnusedPort() };
        var sw = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RemoteShellException>(() => h.Shell.RunAsync(target, "true", Minute, CancellationToken.None));

        Assert.Equal(RemoteErrorKind.HostUnreachable, ex.Kind);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        var check = await h.Shell.CheckAsync(target, CancellationToken.None);
        Assert.False(check.Reachable);
        Assert.Equal(RemoteErrorKind.HostUnreachable, check.ErrorKind);
    }

    [Fact]
    public async Task Wrong_password_is_AuthenticationFailed_and_never_echoed()
    {
        Assert.True(lab.IsRoot, "password logins need the root lab");
        await using var h = new SshShellHarness();
        var wrong = "Wr0ng-" + Guid.NewGuid().ToString("N");
        var target = lab.Cloud("CA").Target with { CloudId = "wrong-pw", Password = wrong };

        var ex = await Assert.ThrowsAsync<RemoteShellException>(() => h.Shell.RunAsync(target, "true", Minute, CancellationToken.None));
        var check = await h.Shell.CheckAsync(target, CancellationToken.None);

        Assert.Equal(RemoteErrorKind.AuthenticationFailed, ex.Kind);
        Assert.Equal(RemoteErrorKind.AuthenticationFailed, check.ErrorKind);
        Assert.DoesNotContain(wrong, ex.ToString());
        Assert.DoesNotContain(wrong, check.Error);
        Assert.DoesNotContain(wrong, h.Log.All);
        Assert.DoesNotContain(wrong, target.ToString());
    }

    [Fact]
    public async Task A_pinned_fingerprint_the_host_does_not_present_is_refused()
    {
        await using var h = new SshShellHarness();
        var cloud = lab.Cloud("GB");
        var wrongPin = "SHA256:" + Convert.ToBase64String(SHA256.HashData("not the key"u8.ToArray())).TrimEnd('=');
        var target = cloud.Target with { PinnedFingerprint = wrongPin };

        var ex = await Assert.ThrowsAsync<RemoteShellException>(() => h.Shell.RunAsync(target, "touch ~/must-not-exist", Minute, CancellationToken.None));

        Assert.Equal(RemoteErrorKind.HostKeyChanged, ex.Kind);
        Assert.Contains("host key", ex.Message);
        Assert.Contains("changed", ex.Message);
        Assert.Contains(wrongPin, ex.Message);
        Assert.Contains(ExpectedFingerprint(cloud), ex.Message);
        var probe = await h.Shell.RunAsync(cloud.Target with { CloudId = "probe" }, "test -e ~/must-not-exist", Minute, CancellationToken.None);
        Assert.Equal(1, probe.ExitCode);

        var pinnedRight = cloud.Target with { CloudId = "pinned-right", PinnedFingerprint = ExpectedFingerprint(cloud) };
        Assert.Equal(0, (await h.Shell.RunAsync(pinnedRight, "true", Minute, CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task A_really_changed_host_key_is_refused_by_trust_on_first_use_and_by_a_pin()
    {
        var cloud = lab.Cloud("CA");
        await using var h = new SshShellHarness();
        var before = await h.Shell.CheckAsync(cloud.Target, CancellationToken.None);
        Assert.True(before.Reachable, before.Error);
        var oldFingerprint = before.HostKeyFingerprint!;
        await h.Shell.DisconnectAsync(cloud.Target, CancellationToken.None);

        output.WriteLine(await lab.RekeyAsync(cloud.Number));
        var newFingerprint = ExpectedFingerprint(cloud);
        Assert.NotEqual(oldFingerprint, newFingerprint);

        var ex = await Assert.ThrowsAsync<RemoteShellException>(() => h.Shell.RunAsync(cloud.Target, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostKeyChanged, ex.Kind);
        Assert.Contains(oldFingerprint, ex.Message);
        Assert.Contains(newFingerprint, ex.Message);
        output.WriteLine(ex.Message);

        await using var fresh = new SshShellHarness();
        var pinnedOld = cloud.Target with { PinnedFingerprint = oldFingerprint };
        var pinned = await Assert.ThrowsAsync<RemoteShellException>(() => fresh.Shell.RunAsync(pinnedOld, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostKeyChanged, pinned.Kind);
        var check = await fresh.Shell.CheckAsync(pinnedOld, CancellationToken.None);
        Assert.Equal(RemoteErrorKind.HostKeyChanged, check.ErrorKind);
        Assert.Equal(0, (await fresh.Shell.RunAsync(cloud.Target with { PinnedFingerprint = newFingerprint }, "true", Minute, CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task Upload_and_download_round_trip_files_and_directories()
    {
        await using var h = new SshShellHarness();
        var target = lab.Cloud("US").KeyTarget;
        var local = Directory.CreateTempSubdirectory("gc-scp-");
        try
        {
            var file = Path.Combine(local.FullName, "data file.bin");
            var bytes = RandomNumberGenerator.GetBytes(300_000);
            await File.WriteAllBytesAsync(file, bytes);
            var dir = Directory.CreateDirectory(Path.Combine(local.FullName, "ckpt"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "state.json"), "{\"batch\":42}");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "nested"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "nested", "it's.txt"), "quoted");
            var remoteRoot = $"~/gc-scp-{Guid.NewGuid():N}";

            await h.Shell.UploadAsync(target, file, $"{remoteRoot}/in/copy of.bin", CancellationToken.None);
            await h.Shell.UploadAsync(target, dir.FullName, $"{remoteRoot}/ckpt", CancellationToken.None);
            var listing = await h.Shell.RunAsync(target, $"cd {remoteRoot} && find . -type f | sort", Minute, CancellationToken.None);
            Assert.Equal("./ckpt/nested/it's.txt\n./ckpt/state.json\n./in/copy of.bin\n", listing.StandardOutput);

            var back = Path.Combine(local.FullName, "back");
            await h.Shell.DownloadAsync(target, $"{remoteRoot}/in/copy of.bin", Path.Combine(back, "file.bin"), CancellationToken.None);
            await h.Shell.DownloadAsync(target, $"{remoteRoot}/ckpt", Path.Combine(back, "ckpt"), CancellationToken.None);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(back, "file.bin")));
            Assert.Equal("{\"batch\":42}", await File.ReadAllTextAsync(Path.Combine(back, "ckpt", "state.json")));
            Assert.Equal("quoted", await File.ReadAllTextAsync(Path.Combine(back, "ckpt", "nested", "it's.txt")));

            var missing = await Assert.ThrowsAsync<RemoteShellException>(() =>
                h.Shell.DownloadAsync(target, $"{remoteRoot}/absent", Path.Combine(back, "x"), CancellationToken.None));
            Assert.Equal(RemoteErrorKind.TransferFailed, missing.Kind);
            await h.Shell.RunAsync(target, $"rm -rf {remoteRoot}", Minute, CancellationToken.None);
        }
        finally
        {
            local.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Cloud_to_cloud_copy_moves_a_multi_megabyte_file_intact()
    {
        await using var h = new SshShellHarness();
        var source = lab.Cloud("KR").Target;
        var destination = lab.Cloud("DE").Target;
        var local = Path.Combine(Path.GetTempPath(), $"gc-copy-{Guid.NewGuid():N}.bin");
        var bytes = RandomNumberGenerator.GetBytes(12 * 1024 * 1024);
        await File.WriteAllBytesAsync(local, bytes);
        try
        {
            var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var run = Guid.NewGuid().ToString("N")[..8];
            await h.Shell.UploadAsync(source, local, $"~/mig-{run}/ckpt/model.bin", CancellationToken.None);
            await h.Shell.RunAsync(source, $"echo 7 > ~/mig-{run}/ckpt/batch", Minute, CancellationToken.None);

            var file = await h.Shell.CopyBetweenAsync(source, $"~/mig-{run}/ckpt/model.bin", destination, $"~/in-{run}/model.bin", CancellationToken.None);
            var dir = await h.Shell.CopyBetweenAsync(source, $"~/mig-{run}/ckpt", destination, $"~/in-{run}/ckpt", CancellationToken.None);
            output.WriteLine($"file copy: {file.Bytes} bytes in {file.Elapsed.TotalMilliseconds:0} ms ({file.BytesPerSecond / 1e6:0.0} MB/s)");

            Assert.InRange(file.Bytes, bytes.Length, bytes.Length + 64 * 1024);
            Assert.True(dir.Bytes > bytes.Length);
            var sums = await h.Shell.RunAsync(destination, $"cd ~/in-{run} && sha256sum model.bin ckpt/model.bin && cat ckpt/batch", Minute, CancellationToken.None);
            Assert.Equal($"{expected}  model.bin\n{expected}  ckpt/model.bin\n7\n", sums.StandardOutput);

            var missing = await Assert.ThrowsAsync<RemoteShellException>(() =>
                h.Shell.CopyBetweenAsync(source, $"~/mig-{run}/absent", destination, $"~/in-{run}/x", CancellationToken.None));
            Assert.Equal(RemoteErrorKind.TransferFailed, missing.Kind);

            await h.Shell.RunAsync(source, $"rm -rf ~/mig-{run}", Minute, CancellationToken.None);
            await h.Shell.RunAsync(destination, $"rm -rf ~/in-{run}", Minute, CancellationToken.None);
        }
        finally
        {
            File.Delete(local);
        }
    }

    [Fact]
    public async Task Dispose_closes_every_master_and_leaves_no_ssh_process()
    {
        var h = new SshShellHarness();
        string controlDir;
        try
        {
            controlDir = h.Shell.ControlDirectory;
            foreach (var cloud in lab.Clouds.Take(4))
            {
                await h.Shell.RunAsync(cloud.Target, "true", Minute, CancellationToken.None);
            }

            Assert.Equal(4, SshShellHarness.ProcessesMentioning(controlDir).Count);
            await h.Shell.DisconnectAsync(lab.Clouds[0].Target, CancellationToken.None);
            Assert.Equal(3, SshShellHarness.ProcessesMentioning(controlDir).Count);
        }
        finally
        {
            await h.DisposeAsync();
        }

        output.WriteLine(h.Log.All);
        Assert.Empty(SshShellHarness.ProcessesMentioning(controlDir));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Shell.RunAsync(lab.Clouds[0].Target, "true", Minute, CancellationToken.None));
    }

    [Fact]
    public async Task Passwords_never_reach_logs_exceptions_or_process_command_lines()
    {
        Assert.True(lab.IsRoot, "password logins need the root lab");
        await using var h = new SshShellHarness();
        var errors = new List<string>();
        foreach (var cloud in lab.Clouds)
        {
            await h.Shell.CheckAsync(cloud.Target, CancellationToken.None);
            await h.Shell.RunAsync(cloud.Target, "echo hi; echo oops >&2; exit 3", Minute, CancellationToken.None);
            var ex = await Assert.ThrowsAsync<RemoteShellException>(() =>
                h.Shell.RunAsync(cloud.Target, "sleep 30", TimeSpan.FromMilliseconds(700), CancellationToken.None));
            errors.Add(ex.ToString());
            Assert.Empty(CommandLinesContaining(cloud.Password!));
        }

        var log = h.Log.All;
        Assert.NotEmpty(log);
        foreach (var cloud in lab.Clouds)
        {
            Assert.DoesNotContain(cloud.Password!, log);
            Assert.All(errors, e => Assert.DoesNotContain(cloud.Password!, e));
            Assert.DoesNotContain(cloud.Password!, cloud.Target.ToString());
        }

        var askpass = await File.ReadAllTextAsync(h.Shell.AskPassPath);
        Assert.All(lab.Clouds, c => Assert.DoesNotContain(c.Password!, askpass));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(h.Shell.AskPassPath));
    }

    [Fact]
    public async Task Latency_benchmark_reports_first_and_multiplexed_times()
    {
        await using var h = new SshShellHarness();
        foreach (var (name, target) in new[] { ("password", lab.Cloud("KR").Target), ("key", lab.Cloud("KR").KeyTarget) })
        {
            var report = await SshLatencyBenchmark.RunAsync(h.Shell, target, 20, CancellationToken.None);
            output.WriteLine($"{name}: first {report.FirstCommandMs:0.0} ms, multiplexed p50 {report.MultiplexedP50Ms:0.0} ms, p95 {report.MultiplexedP95Ms:0.0} ms (n={report.Iterations})");
            Console.WriteLine($"SSH latency ({name}): first {report.FirstCommandMs:0.0} ms, multiplexed p50 {report.MultiplexedP50Ms:0.0} ms, p95 {report.MultiplexedP95Ms:0.0} ms");
            Assert.Equal(20, report.Iterations);
            Assert.True(report.MultiplexedP50Ms <= report.MultiplexedP95Ms);
        }
    }

    private string ExpectedFingerprint(LabCloud cloud)
    {
        var parts = File.ReadAllText(lab.HostKeyPublicFile(cloud)).Split(' ');
        return KnownHosts.FingerprintOf(parts[1]);
    }

    private static async Task AssertRemoteGone(OpenSshRemoteShell shell, SshTarget target, string pattern)
    {
        // "[s]leep N" matches the sleeping process but not this pgrep's own command line.
        var bracketed = $"[{pattern[0]}]{pattern[1..]}";
        await WaitUntil(async () => (await shell.RunAsync(target, $"pgrep -f '{bracketed}'", Minute, CancellationToken.None)).ExitCode == 1);
    }

    private static IReadOnlyList<int> ProcessesOfThisTest(int marker) => SshShellHarness.ProcessesMentioning($"[s]leep {marker}");

    private static IReadOnlyList<string> CommandLinesContaining(string secret)
    {
        var hits = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(secret, StringComparison.Ordinal))
                {
                    hits.Add(cmdline);
                }
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return hits;
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), "condition not met within 15 s");
            await Task.Delay(50);
        }
    }
}
