using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GreenConsole.Agents.Ssh;
using GreenConsole.Agents.Ssh.SshNet;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace GreenConsole.Tests.Agents.Ssh;

/// <summary>The same contract, against the real lab sshd, for the SSH.NET client (the default).</summary>
[Collection(SshLabCollection.Name)]
public sealed class SshNetContractTests(SshLabFixture lab, ITestOutputHelper output) : RemoteShellContract(lab, output)
{
    private protected override ShellUnderTest Create(Action<SshOptions>? configure = null) => ShellUnderTest.Create(SshClientKind.SshNet, configure);
}

/// <summary>The same contract, against the real lab sshd, for the OpenSSH client processes (Ssh:Client=OpenSsh).</summary>
[Collection(SshLabCollection.Name)]
public sealed class OpenSshContractTests(SshLabFixture lab, ITestOutputHelper output) : RemoteShellContract(lab, output)
{
    private protected override ShellUnderTest Create(Action<SshOptions>? configure = null) => ShellUnderTest.Create(SshClientKind.OpenSsh, configure);
}

/// <summary>
/// What every <see cref="IRemoteShell"/> and <see cref="IRemoteTerminalLauncher"/> must do: commands and exit codes,
/// timeouts that stop the remote work, classified failures, host-key trust, verified copies, terminals that resize,
/// reconnects, and no secret outside this process's memory.
/// </summary>
public abstract class RemoteShellContract(SshLabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private protected abstract ShellUnderTest Create(Action<SshOptions>? configure = null);

    [Fact]
    public async Task Commands_keep_stdout_stderr_and_exit_codes_apart_with_password_and_key()
    {
        Assert.True(lab.IsRoot, "CI runs as root, where the lab has password logins");
        await using var s = Create();
        var cloud = lab.Cloud("KR");
        foreach (var target in new[] { cloud.Target, cloud.KeyTarget })
        {
            var r = await s.Shell.RunAsync(target, "echo out; echo err >&2; id -un; exit 7", Minute, CancellationToken.None);
            Assert.Equal(7, r.ExitCode);
            Assert.Equal($"out\n{cloud.Username}\n", r.StandardOutput);
            Assert.Equal("err\n", r.StandardError);
        }

        var exit255 = await s.Shell.RunAsync(cloud.Target, "echo 'cat: x: Permission denied' >&2; exit 255", Minute, CancellationToken.None);
        Assert.Equal(255, exit255.ExitCode);
        var stdin = await s.Shell.RunAsync(cloud.Target, "cat; echo done", Minute, CancellationToken.None);
        Assert.Equal("done\n", stdin.StandardOutput);
        var parallel = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => s.Shell.RunAsync(cloud.Target, $"echo {i}", Minute, CancellationToken.None)));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => $"{i}\n"), parallel.Select(r => r.StandardOutput));
    }

    [Fact]
    public async Task A_timeout_stops_the_command_on_the_cloud()
    {
        await using var s = Create();
        var target = lab.Cloud("DE").Target;
        var marker = Random.Shared.Next(100000, 999999);
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(target, $"sleep {marker}", TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.Equal(RemoteErrorKind.Timeout, e.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        await WaitUntilAsync(async () => (await s.Shell.RunAsync(target, $"pgrep -f '[s]leep {marker}'", Minute, CancellationToken.None)).ExitCode == 1);
    }

    [Fact]
    public async Task Unreachable_hosts_and_wrong_passwords_are_classified_and_never_echo_the_secret()
    {
        Assert.True(lab.IsRoot, "password logins need the root lab");
        await using var s = Create();
        var nowhere = lab.Cloud("KR").Target with { CloudId = "nowhere", Port = SshLabFixture.UnusedPort() };
        var watch = Stopwatch.StartNew();
        var unreachable = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(nowhere, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostUnreachable, unreachable.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(RemoteErrorKind.HostUnreachable, (await s.Shell.CheckAsync(nowhere, CancellationToken.None)).ErrorKind);

        var wrong = "Wr0ng-" + Guid.NewGuid().ToString("N");
        var target = lab.Cloud("CA").Target with { CloudId = "wrong-pw", Password = wrong };
        var denied = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(target, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.AuthenticationFailed, denied.Kind);
        Assert.DoesNotContain(wrong, denied.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, s.Log.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_keys_are_trusted_on_first_use_pinned_read_and_a_changed_key_is_refused()
    {
        var cloud = lab.Cloud("CA");
        await using var s = Create();
        var first = await s.Shell.CheckAsync(cloud.Target, CancellationToken.None);
        Assert.True(first.Reachable, first.Error);
        Assert.Equal(ExpectedFingerprint(cloud), first.HostKeyFingerprint);
        Assert.Contains(ExpectedFingerprint(cloud), await s.Shell.ReadHostKeysAsync(cloud.Target, CancellationToken.None));

        var wrongPin = "SHA256:" + Convert.ToBase64String(SHA256.HashData("not the key"u8.ToArray())).TrimEnd('=');
        var pinnedWrong = await Assert.ThrowsAsync<RemoteShellException>(() =>
            s.Shell.RunAsync(cloud.Target with { CloudId = "pinned-wrong", PinnedFingerprint = wrongPin }, "touch ~/must-not-exist", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostKeyChanged, pinnedWrong.Kind);
        Assert.Contains(wrongPin, pinnedWrong.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await s.Shell.RunAsync(cloud.Target, "test -e ~/must-not-exist", Minute, CancellationToken.None)).ExitCode);

        var old = first.HostKeyFingerprint!;
        await s.Shell.DisconnectAsync(cloud.Target, CancellationToken.None);
        output.WriteLine(await lab.RekeyAsync(cloud.Number));
        var now = ExpectedFingerprint(cloud);
        Assert.NotEqual(old, now);

        var changed = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(cloud.Target, "true", Minute, CancellationToken.None));
        Assert.Equal(RemoteErrorKind.HostKeyChanged, changed.Kind);
        Assert.Contains(old, changed.Message, StringComparison.Ordinal);
        Assert.Contains(now, changed.Message, StringComparison.Ordinal);
        Assert.Equal(RemoteErrorKind.HostKeyChanged, (await s.Shell.CheckAsync(cloud.Target with { PinnedFingerprint = old }, CancellationToken.None)).ErrorKind);

        // The administrator's review: read what the host presents now, pin it, and the cloud works again.
        var presented = await s.Shell.ReadHostKeysAsync(cloud.Target, CancellationToken.None);
        Assert.Equal(now, presented[0]);
        Assert.Equal(0, (await s.Shell.RunAsync(cloud.Target with { PinnedFingerprint = presented[0] }, "true", Minute, CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task Copies_between_clouds_arrive_intact_with_the_controllers_own_SHA256_record()
    {
        await using var s = Create();
        var source = lab.Cloud("KR").Target;
        var destination = lab.Cloud("GB").Target;
        var local = Directory.CreateTempSubdirectory("gc-contract-copy-");
        var run = Guid.NewGuid().ToString("N")[..8];
        try
        {
            var bytes = RandomNumberGenerator.GetBytes(6 * 1024 * 1024 + 123);
            var folder = Directory.CreateDirectory(Path.Combine(local.FullName, "ckpt"));
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "state.pt"), bytes);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "state.json"), "{\"batch\":42}");
            await s.Shell.UploadAsync(source, folder.FullName, $"~/c-{run}/ckpt", CancellationToken.None);

            var copy = await s.Shell.CopyBetweenAsync(source, $"~/c-{run}/ckpt", destination, $"~/d-{run}/ckpt", CancellationToken.None);
            output.WriteLine($"{copy.Bytes} bytes in {copy.Elapsed.TotalMilliseconds:0} ms ({copy.BytesPerSecond / 1e6:0.0} MB/s)");

            Assert.True(copy.Bytes > bytes.Length);
            Assert.NotNull(copy.Files);
            var state = Assert.Single(copy.Files, f => f.Path == "ckpt/state.pt");
            Assert.Equal(bytes.Length, state.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), state.Sha256);
            var sums = await s.Shell.RunAsync(destination, $"sha256sum ~/d-{run}/ckpt/state.pt | cut -d' ' -f1", Minute, CancellationToken.None);
            Assert.Equal(state.Sha256 + "\n", sums.StandardOutput);

            var back = Path.Combine(local.FullName, "back");
            await s.Shell.DownloadAsync(destination, $"~/d-{run}/ckpt", back, CancellationToken.None);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(back, "state.pt")));
            var missing = await Assert.ThrowsAsync<RemoteShellException>(() =>
                s.Shell.CopyBetweenAsync(source, $"~/c-{run}/absent", destination, $"~/d-{run}/x", CancellationToken.None));
            Assert.Equal(RemoteErrorKind.TransferFailed, missing.Kind);
        }
        finally
        {
            local.Delete(recursive: true);
            await s.Shell.RunAsync(source, $"rm -rf ~/c-{run}", Minute, CancellationToken.None);
            await s.Shell.RunAsync(destination, $"rm -rf ~/d-{run}", Minute, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_terminal_sees_its_window_change_size()
    {
        await using var s = Create();
        await using var terminal = await s.Terminals.OpenAsync(lab.Cloud("US").Target, 30, 100, CancellationToken.None);
        var screen = new StringBuilder();
        await terminal.WriteAsync(Encoding.UTF8.GetBytes("stty size\r"), CancellationToken.None);
        await ReadUntilAsync(terminal, screen, "30 100");

        terminal.Resize(40, 132);
        await terminal.WriteAsync(Encoding.UTF8.GetBytes("stty size\r"), CancellationToken.None);
        await ReadUntilAsync(terminal, screen, "40 132");

        await terminal.WriteAsync(Encoding.UTF8.GetBytes("exit\r"), CancellationToken.None);
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await terminal.ReadAsync(buffer, deadline.Token) > 0)
        {
        }

        // The local client (OpenSSH) may be reaped a moment after its terminal hung up.
        while (!terminal.HasExited)
        {
            Assert.False(deadline.IsCancellationRequested, "the terminal did not end after exit");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_long_lived_session_answers_line_by_line_and_ends_on_dispose()
    {
        await using var s = Create();
        var session = await s.Shell.OpenSessionAsync(lab.Cloud("DE").Target, "while read l; do echo \"got $l\"; done", CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            await session.WriteLineAsync($"line {i}", deadline.Token);
            Assert.Equal($"got line {i}", await session.ReadLineAsync(deadline.Token));
        }

        Assert.False(session.HasExited);
        await session.DisposeAsync();
        Assert.True(session.HasExited);
    }

    [Fact]
    public async Task A_dropped_connection_is_reopened_on_the_next_call()
    {
        await using var s = Create(o => o.ReconnectBackoffMaxSeconds = 1);
        var target = lab.Cloud("GB").KeyTarget;
        Assert.Equal(0, (await s.Shell.RunAsync(target, "true", Minute, CancellationToken.None)).ExitCode);

        // The cloud ends every sshd session of its user: the controller's connection goes with them.
        try
        {
            await s.Shell.RunAsync(target, "pkill -KILL -u \"$(id -un)\" -f '^sshd: '", TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (RemoteShellException e)
        {
            output.WriteLine($"the killing command itself ended with {e.Kind}");
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.Equal("back\n", (await s.Shell.RunAsync(target, "echo back", Minute, CancellationToken.None)).StandardOutput);
                break;
            }
            catch (RemoteShellException e) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                output.WriteLine($"{deadline.ElapsedMilliseconds} ms: {e.Kind}");
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task Changed_credentials_never_ride_on_the_open_connection()
    {
        await using var s = Create();
        var good = lab.Cloud("US").KeyTarget;
        Assert.Equal(0, (await s.Shell.RunAsync(good, "true", Minute, CancellationToken.None)).ExitCode);
        var folder = Directory.CreateTempSubdirectory("gc-contract-key-");
        try
        {
            // The same cloud re-imported with a key the host does not know: the open connection must not serve it.
            var wrongKey = Path.Combine(folder.FullName, "wrong_ed25519");
            using (var keygen = Process.Start("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey])!)
            {
                await keygen.WaitForExitAsync();
            }

            var e = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(good with { KeyPath = wrongKey }, "true", Minute, CancellationToken.None));
            Assert.Equal(RemoteErrorKind.AuthenticationFailed, e.Kind);
            Assert.Contains("credentials, key or pinned host key changed", s.Log.All, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        Assert.Equal(0, (await s.Shell.RunAsync(good, "true", Minute, CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task Hostile_target_fields_are_refused_before_anything_is_opened()
    {
        await using var s = Create();
        var good = lab.Cloud("KR").KeyTarget;
        foreach (var bad in new[] { good with { Host = "-oProxyCommand=touch /tmp/gc-pwned" }, good with { Username = "-oProxyCommand=x" }, good with { KeyPath = "/etc/shadow" } })
        {
            var e = await Assert.ThrowsAsync<RemoteShellException>(() => s.Shell.RunAsync(bad, "true", Minute, CancellationToken.None));
            Assert.Equal(RemoteErrorKind.ClientError, e.Kind);
            await Assert.ThrowsAsync<RemoteShellException>(() => s.Terminals.OpenAsync(bad, 24, 80, CancellationToken.None));
        }

        Assert.False(File.Exists("/tmp/gc-pwned"));
    }

    [Fact]
    public async Task No_secret_reaches_a_command_line_an_environment_or_the_log()
    {
        Assert.True(lab.IsRoot, "password logins need the root lab");
        const string variable = "Auth__AdminPassword";
        const string appSecret = "contract-env-secret-5d2a";
        Environment.SetEnvironmentVariable(variable, appSecret);
        try
        {
            await using var s = Create();
            var cloud = lab.Cloud("KR");
            var marker = "gc-contract-" + Guid.NewGuid().ToString("N")[..8];
            var running = s.Shell.RunAsync(cloud.Target, $"sleep 3; echo {marker}", Minute, CancellationToken.None);
            await using var session = await s.Shell.OpenSessionAsync(cloud.Target, "cat", CancellationToken.None);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            foreach (var pid in ChildProcesses())
            {
                var cmdline = await ReadOrEmptyAsync($"/proc/{pid}/cmdline");
                Assert.DoesNotContain(cloud.Password!, cmdline, StringComparison.Ordinal);
                // Test classes of other collections start processes at the same time, and those inherit the variable
                // set above; only this adapter's processes (they name its data folder) must not carry it.
                if (!cmdline.Contains(s.DataDir, StringComparison.Ordinal))
                {
                    continue;
                }

                var environ = await ReadOrEmptyAsync($"/proc/{pid}/environ");
                Assert.DoesNotContain(appSecret, environ, StringComparison.Ordinal);
                Assert.DoesNotContain(variable, environ, StringComparison.Ordinal);
            }

            Assert.Equal($"{marker}\n", (await running).StandardOutput);
            Assert.DoesNotContain(cloud.Password!, s.Log.All, StringComparison.Ordinal);
            if (s.Kind == SshClientKind.SshNet)
            {
                // Other test classes run OpenSSH clients at the same time; only processes working for this adapter's
                // data folder (control sockets, known_hosts) would be this adapter's.
                var own = new List<int>();
                foreach (var pid in ChildProcesses())
                {
                    if ((await ReadOrEmptyAsync($"/proc/{pid}/cmdline")).Contains(s.DataDir, StringComparison.Ordinal))
                    {
                        own.Add(pid);
                    }
                }

                Assert.Empty(own);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private string ExpectedFingerprint(LabCloud cloud) => KnownHosts.FingerprintOf(File.ReadAllText(lab.HostKeyPublicFile(cloud)).Split(' ')[1]);

    /// <summary>Processes this test process started (ssh clients and masters under OpenSSH; none under SSH.NET).</summary>
    private static List<int> ChildProcesses()
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                var parent = status.FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal))?[5..].Trim();
                var name = status.FirstOrDefault(l => l.StartsWith("Name:", StringComparison.Ordinal))?[5..].Trim();
                // Masters detach (their parent is init), so they are found by name as well.
                if (parent == self || name == "ssh")
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return children;
    }

    private static async Task<string> ReadOrEmptyAsync(string path)
    {
        try
        {
            return (await File.ReadAllTextAsync(path)).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static async Task ReadUntilAsync(IRemoteTerminal terminal, StringBuilder screen, string text)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        while (!screen.ToString().Contains(text, StringComparison.Ordinal))
        {
            var n = await terminal.ReadAsync(buffer, deadline.Token);
            Assert.True(n > 0, $"the terminal closed before it printed '{text}': {screen}");
            screen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), "condition not met within 15 s");
            await Task.Delay(50);
        }
    }
}

/// <summary>One adapter (shell and terminal launcher) over its own data folder, with a logger that keeps every line.</summary>
internal sealed class ShellUnderTest : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private ShellUnderTest(SshClientKind kind, string dataDir, IRemoteShell shell, IRemoteTerminalLauncher terminals, SshTestLogger<object> log)
    {
        Kind = kind;
        DataDir = dataDir;
        Shell = shell;
        Terminals = terminals;
        Log = log;
    }

    public SshClientKind Kind { get; }

    public string DataDir { get; }

    public IRemoteShell Shell { get; }

    public IRemoteTerminalLauncher Terminals { get; }

    public SshTestLogger<object> Log { get; }

    public static ShellUnderTest Create(SshClientKind kind, Action<SshOptions>? configure)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "gc-contract-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new SshOptions
        {
            Client = kind,
            DataDirectory = dataDir,
            ConnectTimeoutSeconds = 5,
            ControlPersistSeconds = 120,
            // The lab's keys live in its folder under the temp directory.
            KeyDirectories = Path.GetTempPath(),
        };
        configure?.Invoke(options);
        var log = new SshTestLogger<object>();
        var loggers = new ForwardingLoggerFactory(log);
        if (kind == SshClientKind.SshNet)
        {
            var shell = new SshNetRemoteShell(Options.Create(options), loggers.CreateLogger<SshNetRemoteShell>(), TimeProvider.System);
            var result = new ShellUnderTest(kind, dataDir, shell, new SshNetTerminalLauncher(shell, loggers.CreateLogger<SshNetTerminalLauncher>()), log);
            result._owned.Add(shell);
            return result;
        }

        var openSsh = new OpenSshRemoteShell(Options.Create(options), loggers.CreateLogger<OpenSshRemoteShell>(), TimeProvider.System);
        var launcher = new GreenConsole.Agents.Terminal.SshTerminalLauncher(openSsh, loggers.CreateLogger<GreenConsole.Agents.Terminal.SshTerminalLauncher>());
        var under = new ShellUnderTest(kind, dataDir, openSsh, launcher, log);
        under._owned.Add(openSsh);
        return under;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    private sealed class ForwardingLoggerFactory(SshTestLogger<object> sink) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => sink;

        public ILogger<T> CreateLogger<T>() => new Forward<T>(sink);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Forward<T>(ILogger inner) : ILogger<T>
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
