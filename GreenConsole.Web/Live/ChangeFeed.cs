namespace GreenConsole.Web.Live;

/// <summary>
/// Fans out "something changed" signals from a singleton store to page subscriptions, throttled so that a burst of
/// background writes costs each page at most a few re-renders per second. A change may name its key (a job id, a
/// cloud id): a subscription for one key wakes only for that key and for unkeyed (store-wide) changes, so that a
/// page showing one job is not re-rendered by every other job's progress.
/// </summary>
public sealed class ChangeFeed(TimeProvider time)
{
    /// <summary>About four callbacks per second, the rate the brief asks pages to render at.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    private readonly object _gate = new();
    private ThrottledSubscription[] _subscriptions = [];

    public IDisposable Subscribe(Func<Task> onChanged, TimeSpan? minInterval = null) => Subscribe(null, onChanged, minInterval);

    /// <summary>Subscribes to the changes of one key (and to store-wide ones); a null key means every change.</summary>
    public IDisposable Subscribe(string? key, Func<Task> onChanged, TimeSpan? minInterval = null)
    {
        var subscription = new ThrottledSubscription(this, onChanged, minInterval ?? DefaultInterval, time, key);
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }
        return subscription;
    }

    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <summary>A store-wide change: every subscription wakes.</summary>
    public void NotifyChanged() => NotifyChanged(null);

    /// <summary>A change of one key: only its own subscriptions and the unkeyed ones wake.</summary>
    public void NotifyChanged(string? key)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (key is null || subscription.Key is null || string.Equals(subscription.Key, key, StringComparison.Ordinal))
            {
                subscription.Signal();
            }
        }
    }

    private void Remove(ThrottledSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    private sealed class ThrottledSubscription : IDisposable
    {
        private readonly ChangeFeed _owner;
        private readonly Func<Task> _callback;
        private readonly TimeSpan _interval;
        private readonly TimeProvider _time;
        private readonly ITimer _timer;
        private readonly object _gate = new();
        private long _lastFired = long.MinValue;
        private bool _scheduled;
        private bool _disposed;

        public string? Key { get; }

        public ThrottledSubscription(ChangeFeed owner, Func<Task> callback, TimeSpan interval, TimeProvider time, string? key)
        {
            Key = key;
            _owner = owner;
            _callback = callback;
            _interval = interval;
            _time = time;
            _timer = time.CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public void Signal()
        {
            lock (_gate)
            {
                if (_disposed || _scheduled)
                {
                    return;
                }
                _scheduled = true;
                var sinceLast = _lastFired == long.MinValue ? _interval : _time.GetElapsedTime(_lastFired);
                var wait = sinceLast >= _interval ? TimeSpan.Zero : _interval - sinceLast;
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
            }
        }

        private void Fire()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
                _scheduled = false;
                _lastFired = _time.GetTimestamp();
            }
            // Fire-and-forget by design: a slow page must not hold up the store, and its own InvokeAsync serialises renders.
            _ = InvokeSafely();
        }

        private async Task InvokeSafely()
        {
            try
            {
                await _callback();
            }
            catch (ObjectDisposedException)
            {
                // The circuit went away between the signal and the render; the page's Dispose will remove us.
                Dispose();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
            }
            _timer.Dispose();
            _owner.Remove(this);
        }
    }
}

/// <summary>The keys stores publish their changes under.</summary>
public static class ChangeKeys
{
    public static string Cloud(int cloudId) => "cloud:" + cloudId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
