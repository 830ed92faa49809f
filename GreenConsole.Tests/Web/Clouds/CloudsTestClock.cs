namespace GreenConsole.Tests.Web.Clouds;

/// <summary>A clock the cloud-registry tests move by hand.</summary>
public sealed class CloudsTestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
