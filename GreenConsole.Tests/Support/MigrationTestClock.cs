namespace GreenConsole.Tests.Support;

/// <summary>Real time plus an offset the migration tests move (to step the carbon trace by hours); timers run on real time.</summary>
public sealed class MigrationTestClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
