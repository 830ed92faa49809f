namespace GreenConsole.Tests.Support;

/// <summary>A clock the telemetry tests move by hand. Timers (used for timeouts) still run on real time.</summary>
public sealed class TelemetryTestClock(DateTimeOffset start) : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    public void Set(DateTimeOffset at)
    {
        lock (_gate)
        {
            _now = at;
        }
    }
}
