using System.Collections.Concurrent;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Live;

namespace GreenConsole.Web.Health;

/// <summary>The latest connection state of each cloud, written by the health job and read by pages.</summary>
public sealed record CloudHealth(
    int CloudId,
    DateTimeOffset CheckedAt,
    bool Reachable,
    double? LatencyMs,
    string? HostKeyFingerprint,
    RemoteErrorKind? ErrorKind,
    string? Error);

public sealed class CloudHealthStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<int, CloudHealth> _latest = new();

    public ChangeFeed Changes { get; } = new(time);

    public CloudHealth? Get(int cloudId) => _latest.GetValueOrDefault(cloudId);

    public IReadOnlyCollection<CloudHealth> All => [.. _latest.Values];

    public DateTimeOffset? LastCycleAt { get; private set; }

    public void Update(CloudHealth health)
    {
        _latest[health.CloudId] = health;
        Changes.NotifyChanged(Live.ChangeKeys.Cloud(health.CloudId));
    }

    public void Forget(int cloudId)
    {
        if (_latest.TryRemove(cloudId, out _))
        {
            Changes.NotifyChanged();
        }
    }

    public void CycleCompleted(DateTimeOffset at)
    {
        LastCycleAt = at;
        Changes.NotifyChanged();
    }
}
