using System.Collections.Concurrent;
using System.Diagnostics;
using GreenConsole.Core.Hardware;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Probes;

/// <summary>
/// Samples a cloud with one batched remote command per poll. Keeps the previous /proc/stat counters per cloud,
/// since utilisation is a delta. An unreachable host throws (<see cref="RemoteShellException"/>); anything the
/// host cannot report comes back as a missing field.
/// </summary>
internal sealed class SshHardwareProbe : IHardwareProbe
{
    private readonly IRemoteShell _shell;
    private readonly TimeProvider _time;
    private readonly ProbeOptions _options;
    private readonly ILogger<SshHardwareProbe> _logger;
    private readonly ConcurrentDictionary<string, CpuTimes> _previous = new(StringComparer.Ordinal);

    public SshHardwareProbe(IRemoteShell shell, TimeProvider time, IOptions<ProbeOptions> options, ILogger<SshHardwareProbe> logger)
    {
        _shell = shell;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    public async Task<HardwareSample> SampleAsync(SshTarget target, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var result = await _shell.RunAsync(target, ProbeCommand.Script, TimeSpan.FromSeconds(_options.CommandTimeoutSeconds), cancellationToken);
        var at = _time.GetUtcNow();
        if (!result.Succeeded)
        {
            _logger.LogWarning("Probe of {Cloud} exited {ExitCode}: {Stderr}", target.CloudId, result.ExitCode, Truncate(result.StandardError));
        }

        var previous = _previous.TryGetValue(target.CloudId, out var p) ? p : (CpuTimes?)null;
        var sample = ProbeOutputParser.Parse(target.CloudId, at, result.StandardOutput, previous);
        if (sample.CpuTimes.HasValue)
        {
            _previous[target.CloudId] = sample.CpuTimes.Value;
        }

        _logger.LogDebug("Probed {Cloud} in {Ms} ms", target.CloudId, watch.ElapsedMilliseconds);
        return sample;
    }

    /// <summary>Forgets a cloud's previous counters (for example after it was removed).</summary>
    public void Forget(string cloudId) => _previous.TryRemove(cloudId, out _);

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300];
}
