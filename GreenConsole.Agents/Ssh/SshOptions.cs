using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Ssh;

/// <summary>Which SSH client carries every command, copy, probe and terminal.</summary>
public enum SshClientKind
{
    /// <summary>SSH.NET in this process: one connection per cloud, no child processes, no askpass.</summary>
    SshNet,

    /// <summary>
    /// The machine's OpenSSH client as processes, for what only it offers: ProxyJump, ssh-agent and an ssh_config
    /// (set <see cref="SshOptions.ConfigFile"/>). Passwords reach it through an askpass helper, terminals run on a local pty.
    /// </summary>
    OpenSsh,
}

/// <summary>Settings of the SSH control plane (configuration section "Ssh"), shared by both clients.</summary>
internal sealed class SshOptions : IValidatableObject
{
    public const string SectionName = "Ssh";

    /// <summary>The client: SshNet (default) or OpenSsh.</summary>
    public SshClientKind Client { get; set; } = SshClientKind.SshNet;

    /// <summary>
    /// Longest wait between two connection attempts to a cloud that stopped answering (SSH.NET). The wait doubles
    /// from half a second; calls in between fail at once with the last error instead of piling up connects.
    /// </summary>
    [Range(0, 600)]
    public int ReconnectBackoffMaxSeconds { get; set; } = 8;

    /// <summary>Folder for known_hosts, the askpass helper and (when short enough) the ControlMaster sockets.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data/ssh";

    /// <summary>
    /// The only folders key files may come from, separated by ':' (the first also resolves relative key paths). A
    /// CSV's "Key Path" outside them is refused, so an uploaded CSV cannot make ssh read any file the app can read.
    /// The default holds the operator's key folder and the demo lab's (scripts/lab.sh writes .lab/keys, mode 0700).
    /// </summary>
    [Required]
    public string KeyDirectories { get; set; } = "data/ssh/keys:.lab/keys";

    /// <summary>
    /// Most a command may print on stdout before it is ended (a cloud may be hostile; a login script printing
    /// without end must not fill the controller's memory). Above the 4 MiB progress read of a training poll.
    /// </summary>
    [Range(64 * 1024, 1024 * 1024 * 1024)]
    public int MaxOutputBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most of a command's stderr kept for its error message; the rest is read and dropped.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxErrorBytes { get; set; } = 64 * 1024;

    [Required]
    public string SshPath { get; set; } = "/usr/bin/ssh";

    [Required]
    public string ScpPath { get; set; } = "/usr/bin/scp";

    [Required]
    public string SshKeyscanPath { get; set; } = "/usr/bin/ssh-keyscan";

    /// <summary>ssh_config file for every call. /dev/null keeps the user's and the system's config out of the app's behaviour.</summary>
    [Required]
    public string ConfigFile { get; set; } = "/dev/null";

    [Range(1, 300)]
    public int ConnectTimeoutSeconds { get; set; } = 5;

    [Range(1, 86400)]
    public int ControlPersistSeconds { get; set; } = 300;

    [Range(1, 4096)]
    public int MaxParallelSessions { get; set; } = 32;

    /// <summary>Stays below sshd's default MaxSessions (10) so a multiplexed master never hits the server limit.</summary>
    [Range(1, 64)]
    public int MaxSessionsPerCloud { get; set; } = 8;

    [Range(1, 7 * 86400)]
    public int DefaultCommandTimeoutSeconds { get; set; } = 600;

    [Range(1, 7 * 86400)]
    public int TransferTimeoutSeconds { get; set; } = 3600;

    /// <summary>Upper bound for opening a master connection (TCP, key exchange, authentication).</summary>
    [Range(1, 600)]
    public int MasterSetupTimeoutSeconds { get; set; } = 30;

    [Range(1, 3600)]
    public int ServerAliveIntervalSeconds { get; set; } = 15;

    [Range(1, 100)]
    public int ServerAliveCountMax { get; set; } = 3;

    /// <summary>
    /// Cipher preference of new master connections (ssh -o Ciphers=), comma-separated; empty keeps OpenSSH's default
    /// (chacha20-poly1305 first). AES-GCM first because clouds' CPUs have AES-NI: measured on the lab, 1 GiB through
    /// two masters took 6.6 s with aes128-gcm and 11.0 s with chacha20-poly1305.
    /// </summary>
    public string Ciphers { get; set; } = DefaultCiphers;

    public const string DefaultCiphers =
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

    /// <summary>Ciphers OpenSSH clients know (ssh -Q cipher); a typo would make every connection fail at key exchange.</summary>
    internal static readonly IReadOnlySet<string> KnownCiphers = new HashSet<string>(StringComparer.Ordinal)
    {
        "3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-ctr", "aes192-ctr", "aes256-ctr",
        "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
    };

    /// <summary>When a command times out or is cancelled, also kill its remote process group (not just the local ssh client).</summary>
    public bool KillRemoteOnAbort { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // ssh tokenises -o values and expands % tokens, so these characters would silently change the paths.
        var full = Path.GetFullPath(DataDirectory);
        if (full.IndexOfAny([' ', '\t', '"', '\'', '%', '\n']) >= 0)
        {
            yield return new ValidationResult(
                $"Ssh:DataDirectory '{full}' must not contain spaces, quotes or '%' (ssh would misread it).",
                [nameof(DataDirectory)]);
        }

        if (!string.IsNullOrWhiteSpace(Ciphers))
        {
            var unknown = Ciphers.Split(',', StringSplitOptions.TrimEntries).Where(c => !KnownCiphers.Contains(c)).ToList();
            if (unknown.Count > 0)
            {
                yield return new ValidationResult(
                    $"Ssh:Ciphers names unknown cipher(s) {string.Join(", ", unknown.Select(u => "'" + u + "'"))}; use a comma-separated list of: {string.Join(", ", KnownCiphers)}.",
                    [nameof(Ciphers)]);
            }
        }

        // SSH.NET needs none of the OpenSSH programs.
        var programs = Client == SshClientKind.OpenSsh
            ? new[] { (nameof(SshPath), SshPath), (nameof(ScpPath), ScpPath), (nameof(SshKeyscanPath), SshKeyscanPath) }
            : [];
        foreach (var (name, path) in programs)
        {
            if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
            {
                yield return new ValidationResult(
                    $"Ssh:{name} '{path}' does not exist. Install the OpenSSH client: apt-get install -y openssh-client",
                    [name]);
            }
        }
    }
}
