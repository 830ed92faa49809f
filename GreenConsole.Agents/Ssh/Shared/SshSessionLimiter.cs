namespace GreenConsole.Agents.Ssh;

/// <summary>
/// How many channels the controller holds open at once, in all and per cloud (Ssh:MaxParallelSessions,
/// Ssh:MaxSessionsPerCloud): per cloud it stays below sshd's MaxSessions (10) on the one shared connection.
/// </summary>
internal sealed class SshSessionLimiter(int maxParallel, int maxPerCloud)
{
    private readonly SemaphoreSlim _global = new(maxParallel, maxParallel);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _clouds = new(StringComparer.Ordinal);

    public async Task<IDisposable> AcquireAsync(IEnumerable<string> cloudIds, CancellationToken cancellationToken)
    {
        var taken = new List<SemaphoreSlim>(3);
        try
        {
            await _global.WaitAsync(cancellationToken).ConfigureAwait(false);
            taken.Add(_global);

            // A fixed order across clouds keeps two opposite copies from each holding one slot and waiting for the other.
            foreach (var id in cloudIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var sessions = _clouds.GetOrAdd(id, _ => new SemaphoreSlim(maxPerCloud, maxPerCloud));
                await sessions.WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(sessions);
            }
        }
        catch
        {
            foreach (var s in taken)
            {
                s.Release();
            }

            throw;
        }

        return new Lease(taken);
    }

    private sealed class Lease(List<SemaphoreSlim> taken) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                foreach (var s in taken)
                {
                    s.Release();
                }
            }
        }
    }
}
