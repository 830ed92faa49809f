using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Ssh;

internal sealed partial class OpenSshRemoteShell
{
    /// <summary>
    /// The command line of an interactive ssh client for a terminal. It reuses the cloud's master connection, so
    /// the password never has to be typed and the host key was already checked against the pin.
    /// </summary>
    internal async Task<(string Path, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)> InteractiveStartAsync(
        SshTarget target, CancellationToken cancellationToken)
    {
        Validate(target);
        await EnsureMasterAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["HOME"] = System.Environment.GetEnvironmentVariable("HOME") ?? "/",
            ["TERM"] = "xterm-256color",
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (key, value) in Environment(target) ?? [])
        {
            environment[key] = value;
        }
        return (_options.SshPath, [.. CommonOptions(target), "-tt", "--", Host(target)], environment);
    }
}
