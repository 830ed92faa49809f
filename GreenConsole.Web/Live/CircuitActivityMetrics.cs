namespace GreenConsole.Web.Live;

/// <summary>Percentiles of recent circuit activity durations, in milliseconds.</summary>
public sealed record CircuitActivitySnapshot(
    long Count,
    int Window,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    int OpenCircuits);

/// <summary>Percentiles of recent activity durations of circuits that were on one page (its first path segment).</summary>
public sealed record PageActivitySnapshot(string Page, long Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs);

/// <summary>
/// Server time of recent Blazor circuit activities (UI events, JS interop callbacks). A fixed ring keeps the memory
/// bounded however long the app runs, so the percentiles describe the most recent <see cref="Capacity"/> activities.
/// </summary>
public sealed class CircuitActivityMetrics
{
    public const int DefaultCapacity = 4096;

    /// <summary>Pages tracked apart; beyond this (a crawler inventing paths) the rest share one bucket.</summary>
    public const int MaxPages = 32;

    private const string OtherPages = "(other)";

    private readonly object _gate = new();
    private readonly double[] _ring;
    private long _count;
    private int _openCircuits;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CircuitActivityMetrics> _pages = new(StringComparer.Ordinal);

    public CircuitActivityMetrics()
        : this(DefaultCapacity)
    {
    }

    public CircuitActivityMetrics(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new double[capacity];
    }

    public int Capacity => _ring.Length;

    public void Record(TimeSpan duration)
    {
        var ms = Math.Max(0, duration.TotalMilliseconds);
        lock (_gate)
        {
            _ring[(int)(_count % _ring.Length)] = ms;
            _count++;
        }
    }

    /// <summary>Records an activity of a circuit that was on <paramref name="path"/> (a URL path) when it began.</summary>
    public void Record(TimeSpan duration, string path)
    {
        Record(duration);
        var key = PageKey(path);
        if (!_pages.ContainsKey(key) && _pages.Count >= MaxPages)
        {
            key = OtherPages;
        }

        _pages.GetOrAdd(key, static _ => new CircuitActivityMetrics(1024)).Record(duration);
    }

    /// <summary>Per-page percentiles, slowest p95 first, so the page that costs the most server time leads.</summary>
    public IReadOnlyList<PageActivitySnapshot> Pages() =>
        _pages.Select(kv => (kv.Key, Snapshot: kv.Value.Snapshot()))
            .Select(x => new PageActivitySnapshot(x.Key, x.Snapshot.Count, x.Snapshot.P50Ms, x.Snapshot.P95Ms, x.Snapshot.P99Ms, x.Snapshot.MaxMs))
            .OrderByDescending(p => p.P95Ms)
            .ToList();

    /// <summary>"/" for the overview, else the first path segment ("/jobs/abc" is "/jobs"), lower case.</summary>
    internal static string PageKey(string path)
    {
        var trimmed = path.Split('?', '#')[0].Trim('/');
        var first = trimmed.Split('/')[0];
        return first.Length == 0 ? "/" : "/" + first.ToLowerInvariant();
    }

    public void CircuitOpened() => Interlocked.Increment(ref _openCircuits);

    public void CircuitClosed() => Interlocked.Decrement(ref _openCircuits);

    public CircuitActivitySnapshot Snapshot()
    {
        double[] window;
        long count;
        lock (_gate)
        {
            count = _count;
            window = _ring[..(int)Math.Min(count, _ring.Length)];
        }
        Array.Sort(window);
        return new CircuitActivitySnapshot(
            count,
            window.Length,
            Percentile(window, 0.50),
            Percentile(window, 0.95),
            Percentile(window, 0.99),
            window.Length == 0 ? 0 : window[^1],
            Volatile.Read(ref _openCircuits));
    }

    /// <summary>Nearest-rank percentile: the smallest value with at least <paramref name="p"/> of the data at or below it.</summary>
    internal static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
