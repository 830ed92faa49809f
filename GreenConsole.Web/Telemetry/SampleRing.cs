namespace GreenConsole.Web.Telemetry;

/// <summary>A fixed-capacity ring of points, oldest overwritten first. Thread-safe; reads copy.</summary>
internal sealed class SampleRing(int capacity)
{
    private readonly TelemetryPoint[] _items = new TelemetryPoint[capacity];
    private readonly object _gate = new();
    private int _start;
    private int _count;

    public void Add(TelemetryPoint point)
    {
        lock (_gate)
        {
            var end = (_start + _count) % _items.Length;
            _items[end] = point;
            if (_count < _items.Length)
            {
                _count++;
            }
            else
            {
                _start = (_start + 1) % _items.Length;
            }
        }
    }

    /// <summary>Points at or after <paramref name="since"/>, oldest first.</summary>
    public IReadOnlyList<TelemetryPoint> Since(DateTimeOffset since)
    {
        lock (_gate)
        {
            var list = new List<TelemetryPoint>(_count);
            for (var i = 0; i < _count; i++)
            {
                var p = _items[(_start + i) % _items.Length];
                if (p.At >= since)
                {
                    list.Add(p);
                }
            }

            return list;
        }
    }
}
