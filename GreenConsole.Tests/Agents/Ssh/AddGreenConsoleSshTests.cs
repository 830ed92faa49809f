using GreenConsole.Agents;
using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Ssh;

public sealed class AddGreenConsoleSshTests
{
    [Fact]
    public async Task Registers_one_shell_bound_to_the_Ssh_section()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gc-sshdi-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var sp = Build(new() { ["Ssh:DataDirectory"] = dir, ["Ssh:MaxSessionsPerCloud"] = "4" }))
        {
            var shell = sp.GetRequiredService<IRemoteShell>();
            Assert.Same(sp.GetRequiredService<OpenSshRemoteShell>(), shell);
            Assert.Equal(4, sp.GetRequiredService<IOptions<SshOptions>>().Value.MaxSessionsPerCloud);
            Assert.True(File.Exists(Path.Combine(dir, "askpass.sh")));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("Ssh:MaxSessionsPerCloud", "0", "MaxSessionsPerCloud")]
    [InlineData("Ssh:ConnectTimeoutSeconds", "-1", "ConnectTimeoutSeconds")]
    [InlineData("Ssh:SshPath", "/nonexistent/ssh", "apt-get install -y openssh-client")]
    [InlineData("Ssh:DataDirectory", "/tmp/with space", "must not contain spaces")]
    public async Task Rejects_bad_settings_naming_them(string key, string value, string expected)
    {
        await using var sp = Build(new() { [key] = value });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SshOptions>>().Value);
        Assert.Contains(expected, ex.Message);
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
