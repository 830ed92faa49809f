using System.Threading.Channels;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Terminals;

namespace GreenConsole.Tests.Web.Terminals;

/// <summary>Keystroke batches reach the terminal in the order they were sent, even when the calls overlap.</summary>
public sealed class TerminalSessionInputOrderTests
{
    [Fact]
    public async Task Overlapping_sends_are_written_in_call_order_even_when_the_first_write_is_slow()
    {
        var terminal = new GatedTerminal();
        var session = new TerminalSession("t", 1, "c", "u", DateTimeOffset.UnixEpoch, terminal, Channel.CreateUnbounded<byte[]>(), TimeProvider.System);

        var first = session.SendAsync("echo size-", CancellationToken.None);
        var second = session.SendAsync("a=$(stty size)=\r", CancellationToken.None);

        // The first write is held back; the second must not overtake it.
        await terminal.FirstStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(second.IsCompleted);
        Assert.Equal(["echo size-"], terminal.Started);
        terminal.ReleaseFirst.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("echo size-a=$(stty size)=\r", string.Concat(terminal.Written));
    }

    [Fact]
    public async Task A_failed_write_is_reported_to_its_caller_and_the_next_still_goes_through()
    {
        var terminal = new GatedTerminal { FailFirst = true };
        terminal.ReleaseFirst.SetResult();
        var session = new TerminalSession("t", 1, "c", "u", DateTimeOffset.UnixEpoch, terminal, Channel.CreateUnbounded<byte[]>(), TimeProvider.System);

        var first = session.SendAsync("x", CancellationToken.None);
        var second = session.SendAsync("y", CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => first);
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["y"], terminal.Written);
    }

    private sealed class GatedTerminal : IRemoteTerminal
    {
        public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource ReleaseFirst { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool FailFirst { get; init; }
        public List<string> Started { get; } = [];
        public List<string> Written { get; } = [];
        public int? ProcessId => null;
        public bool HasExited => false;

        public async Task WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            var text = System.Text.Encoding.UTF8.GetString(input.Span);
            bool isFirst;
            lock (Started)
            {
                isFirst = Started.Count == 0;
                Started.Add(text);
            }

            if (isFirst)
            {
                FirstStarted.TrySetResult();
                await ReleaseFirst.Task.WaitAsync(cancellationToken);
                if (FailFirst)
                {
                    throw new IOException("pty closed");
                }
            }

            lock (Written)
            {
                Written.Add(text);
            }
        }

        public Task<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => Task.FromResult(0);

        public void Resize(int rows, int cols)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
