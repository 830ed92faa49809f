using GreenConsole.Web.Health;
using GreenConsole.Web.Live;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Dashboard;

/// <summary>The latest map snapshot, shared by every open page; rebuilt on a timer and when cloud health changes.</summary>
public sealed class CarbonMapStore(TimeProvider time)
{
    public ChangeFeed Changes { get; } = new(time);

    public CarbonMapSnapshot? Current { get; private set; }

    public void Publish(CarbonMapSnapshot snapshot)
    {
        Current = snapshot;
        Changes.NotifyChanged();
    }
}

internal sealed class CarbonMapRefresher(
    CarbonMapBuilder builder,
    CarbonMapStore store,
    CloudHealthStore health,
    IOptions<MapOptions> options,
    ILogger<CarbonMapRefresher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Health changes (a cloud added, deleted or reachable again) wake the loop at most four times a second.
        using var subscription = health.Changes.Subscribe(() =>
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
            return Task.CompletedTask;
        });
        var interval = TimeSpan.FromSeconds(options.Value.RefreshSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                store.Publish(await builder.BuildAsync(stoppingToken));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not rebuild the carbon map; the previous snapshot stays on screen");
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(interval);
            try
            {
                await _wake.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The refresh interval elapsed.
            }
        }
    }
}
