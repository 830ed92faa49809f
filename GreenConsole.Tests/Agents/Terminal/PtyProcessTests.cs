using System.Text;
using GreenConsole.Agents.Terminal;

namespace GreenConsole.Tests.Agents.Terminal;

public sealed class PtyProcessTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["PATH"] = "/usr/bin:/bin",
        ["TERM"] = "xterm-256color",
        ["PS1"] = "$ ",
    };

    [Fact]
    public async Task Shell_sees_initial_size_and_resize()
    {
        await using var pty = PtyProcess.Start("/bin/sh", [], Env, rows: 30, cols: 100);
        var reader = new PtyReader(pty);

        await reader.WriteAsync("stty size\n");
        await reader.WaitForAsync("30 100");

        pty.Resize(40, 132);
        await reader.WriteAsync("stty size\n");
        await reader.WaitForAsync("40 132");

        await reader.WriteAsync("exit 7\n");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(7, await pty.WaitForExitAsync(TimeProvider.System, cts.Token));
    }

    [Fact]
    public async Task Dispose_hangs_up_and_reaps_the_child()
    {
        var pty = PtyProcess.Start("/bin/sh", ["-c", "echo ready; exec sleep 300"], Env, rows: 24, cols: 80);
        var reader = new PtyReader(pty);
        await reader.WaitForAsync("ready");
        var pid = pty.Pid;
        Assert.True(Directory.Exists($"/proc/{pid}"));

        await pty.DisposeAsync();

        // Reaped means gone from /proc entirely, not a zombie.
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.True(pty.HasExited);
    }

    [Fact]
    public async Task Child_is_a_session_leader_with_the_pty_as_controlling_terminal()
    {
        await using var pty = PtyProcess.Start("/bin/sh", ["-c", "tty; ps -o sid= -p $$; echo pid=$$; sleep 1"], Env, rows: 24, cols: 80);
        var reader = new PtyReader(pty);
        var text = await reader.WaitForAsync("pid=");
        Assert.Contains("/dev/pts/", text);
        var sid = int.Parse(text.Split('\n', StringSplitOptions.TrimEntries).First(l => l.Length > 0 && l.All(char.IsDigit)));
        Assert.Equal(pty.Pid, sid);
    }

    /// <summary>Accumulates PTY output on a background read loop so tests can wait on content with a deadline.</summary>
    private sealed class PtyReader
    {
        private readonly PtyProcess _pty;
        private readonly StringBuilder _text = new();
        private readonly SemaphoreSlim _changed = new(0);

        public PtyReader(PtyProcess pty)
        {
            _pty = pty;
            _ = Task.Run(ReadLoop);
        }

        public async Task WriteAsync(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            await _pty.Stream.WriteAsync(bytes);
            await _pty.Stream.FlushAsync();
        }

        public async Task<string> WaitForAsync(string expected)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                lock (_text)
                {
                    var current = _text.ToString();
                    if (current.Contains(expected, StringComparison.Ordinal))
                    {
                        return current;
                    }
                }
                try
                {
                    await _changed.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    lock (_text)
                    {
                        Assert.Fail($"Timed out waiting for '{expected}'. Output so far: {_text}");
                    }
                }
            }
        }

        private async Task ReadLoop()
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await _pty.Stream.ReadAsync(buffer)) > 0)
                {
                    lock (_text)
                    {
                        _text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                    }
                    _changed.Release();
                }
            }
            catch (IOException)
            {
                // EIO: the child hung up the terminal, which ends the stream.
            }
            catch (ObjectDisposedException)
            {
                // The test disposed the PTY while this loop was reading.
            }
        }
    }
}
