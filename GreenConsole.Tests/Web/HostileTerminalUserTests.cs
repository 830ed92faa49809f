using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Terminals;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web;

/// <summary>Real terminals (ssh on a PTY to a lab cloud) of a user who is deleted, or who tries to take every slot.</summary>
[Collection(SshLabCollection.Name)]
public sealed class HostileTerminalUserTests(SshLabFixture lab) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-hostile-term-");
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = TestWebApp.Create(_folder, new Dictionary<string, string>
        {
            // The lab's keys live in its folder under the temp directory.
            ["Ssh:KeyDirectories"] = Path.GetTempPath(),
            ["Health:IntervalSeconds"] = "3600",
            ["Terminals:MaxSessionsPerUser"] = "1",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_deleted_users_terminal_is_closed_at_once_and_one_user_cannot_take_every_slot()
    {
        var services = _factory.Services;
        await using (var csv = File.OpenRead(lab.CsvPath))
        {
            await services.GetRequiredService<CloudImportService>().ImportAsync(csv, CloudImportMode.AllOrNothing, dryRun: false, CancellationToken.None);
        }

        var cloud = (await services.GetRequiredService<CloudRepository>().ListAsync(CancellationToken.None)).First(c => c.Zone == "GB");
        await using var scope = services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        Assert.True((await admin.CreateAsync("term-operator", "term-operator-pass-1", Roles.Operator, CancellationToken.None)).Succeeded);
        var terminals = services.GetRequiredService<TerminalSessionManager>();

        var session = await terminals.OpenAsync(cloud.Id, "term-operator", 24, 80, CancellationToken.None);
        var second = await Assert.ThrowsAsync<InvalidOperationException>(() => terminals.OpenAsync(cloud.Id, "term-operator", 24, 80, CancellationToken.None));
        Assert.Contains("Terminals:MaxSessionsPerUser", second.Message, StringComparison.Ordinal);
        var pid = session.ProcessId;
        Assert.True(Running(pid));

        var id = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync("term-operator"))!.Id;
        Assert.True((await admin.DeleteAsync(id, "admin", CancellationToken.None)).Succeeded);

        Assert.DoesNotContain(terminals.Sessions, s => s.UserName == "term-operator");
        var until = DateTime.UtcNow.AddSeconds(10);
        while (Running(pid) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.False(Running(pid), "the terminal's ssh still runs");
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => terminals.OpenAsync(cloud.Id, "term-operator", 24, 80, CancellationToken.None));
        Assert.Contains("no longer exists", again.Message, StringComparison.Ordinal);
    }

    /// <summary>A zombie (exited, not yet reaped) runs nothing.</summary>
    private static bool Running(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
