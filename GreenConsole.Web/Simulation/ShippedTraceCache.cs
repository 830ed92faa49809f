using System.Collections.Concurrent;
using GreenConsole.Core.Simulation;

namespace GreenConsole.Web.Simulation;

/// <summary>The shipped trace parsed once per signal and shared by every page (read-only after load).</summary>
public sealed class ShippedTraceCache(IConfiguration configuration)
{
    private readonly ConcurrentDictionary<TraceSignal, Lazy<Task<CarbonTrace>>> _traces = new();

    public Task<CarbonTrace> GetAsync(TraceSignal signal, CancellationToken cancellationToken)
    {
        var lazy = _traces.GetOrAdd(signal, s => new Lazy<Task<CarbonTrace>>(
            () => TraceInput.LoadFileAsync(TraceInput.ShippedPath(configuration), new HourlyTraceReadOptions { Signal = s }, CancellationToken.None)));
        return lazy.Value.WaitAsync(cancellationToken);
    }
}
