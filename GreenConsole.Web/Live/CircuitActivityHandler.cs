using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace GreenConsole.Web.Live;

/// <summary>
/// Times every inbound circuit activity (a UI event, a JS interop callback, a render acknowledgement) from the moment
/// the circuit picks it up until the server has finished handling it, and feeds <see cref="CircuitActivityMetrics"/>.
/// </summary>
public sealed class CircuitActivityHandler(CircuitActivityMetrics metrics, TimeProvider time, NavigationManager navigation) : CircuitHandler
{
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            var started = time.GetTimestamp();
            var page = CurrentPath();
            try
            {
                await next(context);
            }
            finally
            {
                metrics.Record(time.GetElapsedTime(started), page);
            }
        };

    private string CurrentPath()
    {
        try
        {
            return new Uri(navigation.Uri).AbsolutePath;
        }
        catch (InvalidOperationException)
        {
            // The circuit's first activities arrive before its NavigationManager knows the URL.
            return "(starting)";
        }
    }

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
