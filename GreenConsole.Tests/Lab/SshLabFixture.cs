using GreenConsole.Core.Clouds;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GreenConsole.Core.Remote;

namespace GreenConsole.Tests.Lab;

[CollectionDefinition(Name)]
public sealed class SshLabCollection : ICollectionFixture<SshLabFixture>
{
    public const string Name = "ssh-lab";
}

/// <summary>One lab cloud as scripts/lab.sh wrote it into ssh_data.csv.</summary>
public sealed record LabCloud(
    int Number,
    string Name,
    string Zone,
    string CountryCode,
    string CountryName,
    string Host,
    int Port,
    string Username,
    string? Password,
    string KeyPath,
    string BaseDir,
    double Threshold,
    double Pue,
    string Label)
{
    /// <summary>Password login where the lab has passwords (root), otherwise the lab key.</summary>
    public SshTarget Target => Password is null ? KeyTarget : new SshTarget
    {
        CloudId = "lab-" + Name,
        Host = Host,
        Port = Port,
        Username = Username,
        Password = Password,
    };

    public SshTarget KeyTarget => new()
    {
        CloudId = "lab-" + Name + "-key",
        Host = Host,
        Port = Port,
        Username = Username,
        KeyPath = KeyPath,
    };

    public override string ToString() => $"{Username}@{Host}:{Port} ({Zone})";
}

/// <summary>
/// Starts the five-sshd lab (scripts/lab.sh) in its own folder, ports and user names for the test run, and stops it
/// (processes and users) afterwards. Fails, never skips, when sshd is missing: the SSH tests are the point.
/// </summary>
public sealed class SshLabFixture : IAsyncLifetime
{
    public const string SshdPath = "/usr/sbin/sshd";
    public const string InstallHint = "apt-get install -y openssh-server";

    private static readonly string[] Names = ["kr", "de", "gb", "us", "ca"];

    public SshLabFixture()
    {
        RepoRoot = FindRepoRoot();
        ScriptPath = Path.Combine(RepoRoot, "scripts", "lab.sh");
        LabDir = Path.Combine(Path.GetTempPath(), "gc-lab-" + Guid.NewGuid().ToString("N")[..8]);
        UserPrefix = "gct" + Guid.NewGuid().ToString("N")[..5] + "-";
    }

    public string RepoRoot { get; }

    public string ScriptPath { get; }

    public string LabDir { get; }

    public string UserPrefix { get; }

    public int PortBase { get; private set; }

    public bool IsRoot { get; } = Environment.UserName == "root";

    public string CsvPath => Path.Combine(LabDir, "ssh_data.csv");

    public string KeyPath => Path.Combine(LabDir, "keys", "lab_ed25519");

    public IReadOnlyList<LabCloud> Clouds { get; private set; } = [];

    /// <summary>A cloud by zone (e.g. "US-CAL-CISO") or country code (e.g. "US").</summary>
    public LabCloud Cloud(string zoneOrCountry) => Clouds.Single(c => c.Zone == zoneOrCountry || c.CountryCode == zoneOrCountry);

    public string HostKeyPublicFile(LabCloud cloud) => Path.Combine(LabDir, "sshd", cloud.Name, "ssh_host_ed25519_key.pub");

    public async Task InitializeAsync()
    {
        if (!File.Exists(SshdPath))
        {
            throw new InvalidOperationException(
                $"The SSH lab needs OpenSSH's server at {SshdPath}, which is missing. Install it with: {InstallHint} (scripts/test.sh does this).");
        }

        PortBase = FindFreePortRange(5);
        await RunLabAsync("up");
        Clouds = ParseCsv(await File.ReadAllLinesAsync(CsvPath, Encoding.UTF8));
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RunLabAsync("down");
        }
        finally
        {
            if (Directory.Exists(LabDir))
            {
                Directory.Delete(LabDir, recursive: true);
            }
        }
    }

    /// <summary>Gives lab instance <paramref name="number"/> (1-5) a new host key and restarts it.</summary>
    public Task<string> RekeyAsync(int number) => RunLabAsync("rekey", number.ToString(CultureInfo.InvariantCulture));

    public async Task<string> RunLabAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ScriptPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LAB_DIR"] = LabDir;
        psi.Environment["LAB_PORT_BASE"] = PortBase.ToString(CultureInfo.InvariantCulture);
        psi.Environment["LAB_USER_PREFIX"] = UserPrefix;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start bash for scripts/lab.sh.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        var output = await stdout + await stderr;
        if (process.ExitCode == 3)
        {
            throw new InvalidOperationException($"scripts/lab.sh {string.Join(' ', args)}: OpenSSH is missing. Install it with: {InstallHint}\n{output}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/lab.sh {string.Join(' ', args)} failed with exit {process.ExitCode}:\n{output}");
        }

        return output;
    }

    /// <summary>A 127.0.0.1 port with nothing listening (bound then released).</summary>
    public static int UnusedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The lab's CSV read with the product's own parser, so the fixture also proves the lab file is importable.</summary>
    private IReadOnlyList<LabCloud> ParseCsv(string[] lines)
    {
        var parsed = CloudCsvParser.Parse(string.Join('\n', lines));
        if (parsed.HasErrors)
        {
            throw new InvalidOperationException($"{CsvPath}: {string.Join("; ", parsed.AllErrors)}");
        }

        return parsed.Rows.Select((row, i) =>
        {
            var c = row.Cloud!;
            return new LabCloud(
                Number: i + 1,
                Name: Names[i],
                Zone: c.Zone,
                CountryCode: c.CountryCode,
                CountryName: c.CountryName,
                Host: c.Host,
                Port: c.Port,
                Username: c.Username,
                Password: c.Password,
                KeyPath: c.KeyPath ?? KeyPath,
                BaseDir: IsRoot ? $"/home/{c.Username}" : Path.Combine(LabDir, "clouds", Names[i]),
                Threshold: c.ThresholdGPerKwh ?? 0,
                Pue: c.Pue,
                Label: c.Label ?? "");
        }).ToList();
    }

    private static int FindFreePortRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Random.Shared.Next(20000, 60000);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found on 127.0.0.1.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GreenConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"GreenConsole.sln not found above {AppContext.BaseDirectory}.");
    }
}
