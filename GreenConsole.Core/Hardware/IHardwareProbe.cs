using GreenConsole.Core.Remote;

namespace GreenConsole.Core.Hardware;

/// <summary>Port: samples one cloud's hardware. Unreadable fields come back as missing, never as an exception;
/// only an unreachable host (see <see cref="RemoteShellException"/>) throws.</summary>
public interface IHardwareProbe
{
    Task<HardwareSample> SampleAsync(SshTarget target, CancellationToken cancellationToken);
}
