using GreenConsole.Core.Remote;
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
        // The remote end of the terminal: a process only that terminal's pty runs. It must go with the terminal,
        // whichever client carried it (a local ssh under OpenSSH, a channel of this process under SSH.NET).
        var marker = Random.Shared.Next(100000, 999999);
        await session.SendAsync($"exec sleep {marker}\r", CancellationToken.None);
        var shell = services.GetRequiredService<IRemoteShell>();
        var target = (await services.GetRequiredService<CloudRepository>().GetTargetAsync(cloud.Id, CancellationToken.None))!;
        async Task<bool> RemoteRunning() =>
            (await shell.RunAsync(target, $"pgrep -f '^sleep {marker}$'", TimeSpan.FromSeconds(30), CancellationToken.None)).ExitCode == 0;
        // A login shell that is still starting may drop what was typed before its prompt (seen under full-suite
        // load); the line is typed again until it runs. Once it runs, the shell is gone and nothing more is read.
        var started = DateTime.UtcNow.AddSeconds(45);
        var typedAt = DateTime.UtcNow;
        while (!await RemoteRunning())
        {
            Assert.True(DateTime.UtcNow < started, "the terminal never ran its command");
            if (DateTime.UtcNow - typedAt > TimeSpan.FromSeconds(5))
            {
                await session.SendAsync($"exec sleep {marker}\r", CancellationToken.None);
                typedAt = DateTime.UtcNow;
            }

            await Task.Delay(50);
        }

        var pid = session.ProcessId;
        Assert.True(pid is null || Running(pid.Value));

        var id = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync("term-operator"))!.Id;
        Assert.True((await admin.DeleteAsync(id, "admin", CancellationToken.None)).Succeeded);

        Assert.DoesNotContain(terminals.Sessions, s => s.UserName == "term-operator");
        var until = DateTime.UtcNow.AddSeconds(10);
        while (((pid is { } p && Running(p)) || await RemoteRunning()) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.False(pid is { } local && Running(local), "the terminal's ssh still runs");
        Assert.False(await RemoteRunning(), "the terminal's remote shell still runs");
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
