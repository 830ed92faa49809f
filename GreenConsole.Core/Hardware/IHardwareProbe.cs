using GreenConsole.Core.Remote;

namespace GreenConsole.Core.Hardware;

/// <summary>Port: samples one cloud's hardware. Unreadable fields come back as missing, never as an exception;
/// only an unreachable host (see <see cref="RemoteShellException"/>) throws.</summary>
public interface IHardwareProbe
{
    Task<HardwareSample> SampleAsync(SshTarget target, CancellationToken cancellationToken);

    /// <summary>The cloud is gone: drop what the probe keeps for it (counters for deltas, an open session).</summary>
    void Forget(string cloudId);
}
