using Microsoft.AspNetCore.Components;

namespace GreenConsole.Web.Components;

/// <summary>
/// What every live page and widget shares: one token cancelled when the component goes (so no page work outlives its
/// circuit) and the store subscriptions it holds, disposed with it.
/// </summary>
public abstract class GcComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly List<IDisposable> _subscriptions = [];
    private bool _disposed;

    /// <summary>Cancelled when the component is disposed (the user left the page or the circuit ended).</summary>
    protected CancellationToken PageToken => _cts.Token;

    /// <summary>Keeps a store subscription until the component goes.</summary>
    protected void Hold(IDisposable subscription) => _subscriptions.Add(subscription);

    /// <summary>Re-renders from a store callback (on the renderer's thread), unless the component is gone.</summary>
    protected Task RenderLaterAsync(Action? update = null) => _disposed ? Task.CompletedTask : InvokeAsync(() =>
    {
        if (_disposed)
        {
            return;
        }

        update?.Invoke();
        StateHasChanged();
    });

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        // Cancelled, not disposed: work still finishing may read PageToken, and a token source without a timer holds nothing.
        _cts.Cancel();
    }
}
