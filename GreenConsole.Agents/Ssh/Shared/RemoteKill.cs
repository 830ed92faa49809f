namespace GreenConsole.Agents.Ssh;

/// <summary>
/// sshd starts every command in its own session, so the login shell's pid is its process group; recording it lets
/// a timeout or cancellation kill the remote work instead of only closing the channel or the local client.
/// </summary>
internal static class RemoteKill
{
    public static string Wrap(string command, string runId)
    {
        var pidFile = PidFile(runId);
        return $"echo $$ >{pidFile} 2>/dev/null; trap 'rm -f {pidFile}' EXIT; {command}";
    }

    public static string Command(string runId)
    {
        var pidFile = PidFile(runId);
        return $"p=$(cat {pidFile} 2>/dev/null) && [ -n \"$p\" ] && kill -TERM -- -\"$p\" 2>/dev/null; rm -f {pidFile}; true";
    }

    private static string PidFile(string runId) => $"/tmp/.gc-run-{runId}.pid";
}
