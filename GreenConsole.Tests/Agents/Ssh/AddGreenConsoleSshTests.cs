using GreenConsole.Agents;
using GreenConsole.Agents.Ssh;
using GreenConsole.Agents.Ssh.SshNet;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Ssh;

public sealed class AddGreenConsoleSshTests
{
    [Fact]
    public async Task Registers_SSH_NET_by_default_bound_to_the_Ssh_section_and_writes_no_askpass()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gc-sshdi-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var sp = Build(new() { ["Ssh:DataDirectory"] = dir, ["Ssh:MaxSessionsPerCloud"] = "4" }))
        {
            Assert.Same(sp.GetRequiredService<SshNetRemoteShell>(), sp.GetRequiredService<IRemoteShell>());
            Assert.Same(sp.GetRequiredService<SshNetTerminalLauncher>(), sp.GetRequiredService<IRemoteTerminalLauncher>());
            Assert.Equal(4, sp.GetRequiredService<IOptions<SshOptions>>().Value.MaxSessionsPerCloud);
            Assert.False(File.Exists(Path.Combine(dir, "askpass.sh")));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Ssh_Client_OpenSsh_chooses_the_process_adapter_for_commands_and_terminals()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gc-sshdi-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var sp = Build(new() { ["Ssh:DataDirectory"] = dir, ["Ssh:Client"] = "OpenSsh" }))
        {
            Assert.Same(sp.GetRequiredService<OpenSshRemoteShell>(), sp.GetRequiredService<IRemoteShell>());
            Assert.IsType<GreenConsole.Agents.Terminal.SshTerminalLauncher>(sp.GetRequiredService<IRemoteTerminalLauncher>());
            Assert.True(File.Exists(Path.Combine(dir, "askpass.sh")));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("Ssh:MaxSessionsPerCloud", "0", "MaxSessionsPerCloud")]
    [InlineData("Ssh:ConnectTimeoutSeconds", "-1", "ConnectTimeoutSeconds")]
    [InlineData("Ssh:DataDirectory", "/tmp/with space", "must not contain spaces")]
    public async Task Rejects_bad_settings_naming_them(string key, string value, string expected)
    {
        await using var sp = Build(new() { [key] = value });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SshOptions>>().Value);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task An_unknown_client_is_refused_naming_the_setting()
    {
        await using var sp = Build(new() { ["Ssh:Client"] = "PuTTY" });
        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IOptions<SshOptions>>().Value);
        Assert.Contains("Ssh:Client", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenSSH_programs_are_required_only_when_that_client_is_chosen()
    {
        await using (var sshNet = Build(new() { ["Ssh:SshPath"] = "/nonexistent/ssh" }))
        {
            Assert.Equal("/nonexistent/ssh", sshNet.GetRequiredService<IOptions<SshOptions>>().Value.SshPath);
        }

        await using var openSsh = Build(new() { ["Ssh:Client"] = "OpenSsh", ["Ssh:SshPath"] = "/nonexistent/ssh" });
        var ex = Assert.Throws<OptionsValidationException>(() => openSsh.GetRequiredService<IOptions<SshOptions>>().Value);
        Assert.Contains("apt-get install -y openssh-client", ex.Message);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGreenConsoleSsh(configuration);
        return services.BuildServiceProvider();
    }
}
