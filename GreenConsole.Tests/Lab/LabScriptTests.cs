using System.Diagnostics;

namespace GreenConsole.Tests.Lab;

[Collection(SshLabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LabScriptTests(SshLabFixture lab)
{
    [Fact]
    public async Task Writes_a_private_csv_with_five_clouds_in_the_import_format()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(lab.CsvPath));
        Assert.Equal(["KR", "DE", "GB", "US-CAL-CISO", "CA-ON"], lab.Clouds.Select(c => c.Zone));
        Assert.Equal(["KR", "DE", "GB", "US", "CA"], lab.Clouds.Select(c => c.CountryCode));
        Assert.Equal(5, lab.Clouds.Select(c => c.Port).Distinct().Count());
        Assert.All(lab.Clouds, c => Assert.InRange(c.Pue, 1.2, 1.5));
        Assert.All(lab.Clouds, c => Assert.StartsWith(lab.UserPrefix, c.Username));
        Assert.Contains("대한민국", lab.Clouds[0].Label);
        if (lab.IsRoot)
        {
            Assert.All(lab.Clouds, c => Assert.True(c.Password is { Length: >= 16 }));
            Assert.Equal(5, lab.Clouds.Select(c => c.Password).Distinct().Count());
        }

        var status = await lab.RunLabAsync("status");
        Assert.Equal(5, status.Split('\n').Count(l => l.Contains("listening") && !l.Contains("not listening")));

        // "up" again is a no-op: same sshd pids, same passwords.
        var again = await lab.RunLabAsync("up");
        Assert.Contains("lab up", again);
        Assert.Equal(status, await lab.RunLabAsync("status"));
    }

    [Fact]
    public async Task Missing_sshd_exits_3_naming_the_install_command()
    {
        var psi = new ProcessStartInfo("/bin/bash", [lab.ScriptPath, "up"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.Environment["LAB_SSHD"] = "/nonexistent/sshd";
        psi.Environment["LAB_DIR"] = Path.Combine(Path.GetTempPath(), "gc-lab-never");
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(3, p.ExitCode);
        Assert.Contains("apt-get install -y openssh-server", err);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "gc-lab-never")));
    }
}
