using GreenConsole.Core.Migration;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;

namespace GreenConsole.Tests.Web.Jobs;

/// <summary>
/// A lab cloud's own user plays the hostile party: it plants a usercustomize.py that every python3 of that user runs
/// (the trainer and the status helper included), as a compromised cloud could. The controller and the other clouds
/// must come out untouched.
/// </summary>
internal static class HostileCloud
{
    /// <summary>Plants <paramref name="python"/> as the cloud user's usercustomize.py; dispose to remove it.</summary>
    public static async Task<IAsyncDisposable> PlantAsync(IRemoteShell shell, SshTarget cloud, string python)
    {
        var site = "$(python3 -c 'import site; print(site.getusersitepackages())')";
        var r = await shell.RunAsync(cloud,
            $"set -e; d={site}; mkdir -p \"$d\"; cat > \"$d/usercustomize.py\" <<'GC_EOF'\n{python}\nGC_EOF\n",
            TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(r.ExitCode == 0, r.StandardError);
        return new Planted(shell, cloud, site);
    }

    private sealed class Planted(IRemoteShell shell, SshTarget cloud, string site) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await shell.RunAsync(cloud, $"rm -f \"{site}/usercustomize.py\"", TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    /// <summary>Adds an object whose unpickling runs <c>touch marker</c> to every state.pt the trainer saves.</summary>
    public static string PoisonCheckpoints(string marker) => $$"""
        import importlib.abc, importlib.util, os, sys

        class Evil:
            def __reduce__(self):
                return (os.system, ("touch {{marker}}",))

        class Finder(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name != "torch":
                    return None
                sys.meta_path.remove(self)
                spec = importlib.util.find_spec("torch")
                run = spec.loader.exec_module
                def exec_module(module):
                    run(module)
                    real = module.save
                    def save(obj, f, *a, **k):
                        if isinstance(obj, dict) and str(f).endswith("state.pt"):
                            obj = dict(obj)
                            obj["payload"] = Evil()
                        return real(obj, f, *a, **k)
                    module.save = save
                spec.loader.exec_module = exec_module
                return spec

        sys.meta_path.insert(0, Finder())
        """;

    /// <summary>The training helper's status command answers garbage.</summary>
    public const string GarbageStatus = """
        import os, sys
        if len(sys.argv) > 1 and sys.argv[0].endswith("greenconsole_train.py") and sys.argv[1] == "status":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            os._exit(0)
        """;
}

[Collection(SshLabCollection.Name)]
public sealed class HostileCloudJobTests(SshLabFixture lab) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-hostile-job-");
    private readonly MigrationTestClock _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_poisoned_checkpoint_is_refused_before_it_runs_on_the_target_and_the_move_is_rolled_back()
    {
        var marker = $"/tmp/gc-hostile-{Guid.NewGuid():N}";
        await using var host = await MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = "false",
            ["Migration:RestartSeconds"] = "1",
        });
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("CA-ON");
        var sourceTarget = (await host.Clouds.GetTargetAsync(source.Id, CancellationToken.None))!;
        await using (await HostileCloud.PlantAsync(host.Shell, sourceTarget, HostileCloud.PoisonCheckpoints(marker)))
        {
            var job = await host.Jobs.StartAsync(new JobStartRequest(source.Id, "poisoned", Epochs: 2, Seed: 5, StepDelayMs: 150), CancellationToken.None);
            await host.WaitForJobAsync(job.Id, j => j.LastStep >= 3, Long, "first progress on KR");
            await host.Jobs.MigrateAsync(job.Id, target.Id, CancellationToken.None);

            var m = await MigrationTestHost.WaitForAsync(async () =>
                (await host.Jobs.MigrationsAsync(job.Id, CancellationToken.None)).FirstOrDefault(x => x.CompletedAt is not null), Long, "the migration to end");

            var events = await host.Jobs.EventsAsync(job.Id, CancellationToken.None);
            var log = string.Join("\n", events.Select(e => $"{e.Kind} {e.FromStep}->{e.ToStep}: {e.Message}"));
            // The rollback may fail afterwards (the source resumes from its own poisoned checkpoint, which its safe loader
            // refuses too); the reason the move was refused is kept.
            Assert.StartsWith(nameof(MigrationFailure.UntrustedCheckpoint), m.RollbackReason, StringComparison.Ordinal);
            Assert.Contains(events, e => e.FromStep == nameof(MigrationStep.Verifying) && e.ToStep == nameof(MigrationStep.RollingBack));
            // The message names the source cloud, the target cloud and the file, and what is wrong with it.
            Assert.Contains($"from cloud {source.Id}", m.RollbackReason, StringComparison.Ordinal);
            Assert.Contains($"on cloud {target.Id}", m.RollbackReason, StringComparison.Ordinal);
            Assert.Contains("state.pt", m.RollbackReason, StringComparison.Ordinal);
            Assert.Contains("posix.system", m.RollbackReason, StringComparison.Ordinal);
            Assert.NotEqual(nameof(MigrationStep.RunningOnTarget), m.Step);

            // Nothing of it ever ran: not on the target, not on the source when the rollback resumed there.
            Assert.False(File.Exists(marker), "the payload ran: " + log);
            var onTarget = await host.Agent.PollAsync((await host.Clouds.GetTargetAsync(target.Id, CancellationToken.None))!, job.Id, long.MaxValue, CancellationToken.None);
            Assert.NotEqual(GreenConsole.Core.Jobs.RemoteJobState.Running, onTarget.Status.State);
            var j = await host.WaitForJobAsync(job.Id, x => x.Status != JobStatus.Migrating, Long, "the job to leave Migrating");
            Assert.Equal(source.Id, j.CurrentCloudId);
            Assert.False(host.Controller.ExecuteTask?.IsCompleted ?? false, "the controller stopped");
        }

        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_cloud_answering_garbage_fails_only_its_own_job_and_the_controller_keeps_running()
    {
        await using var host = await MigrationTestHost.StartAsync(lab, _folder.FullName, _clock, new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = "false",
        });
        var hostile = await host.CloudAsync("DE");
        var honest = await host.CloudAsync("GB");
        var hostileTarget = (await host.Clouds.GetTargetAsync(hostile.Id, CancellationToken.None))!;
        var bad = await host.Jobs.StartAsync(new JobStartRequest(hostile.Id, "on-hostile", Epochs: 2, Seed: 3, StepDelayMs: 200), CancellationToken.None);
        await host.WaitForJobAsync(bad.Id, j => j.LastStep >= 1, Long, "first progress on DE");
        await using (await HostileCloud.PlantAsync(host.Shell, hostileTarget, HostileCloud.GarbageStatus))
        {
            var good = await host.Jobs.StartAsync(new JobStartRequest(honest.Id, "on-honest", Epochs: 1, Seed: 4, StepDelayMs: 20), CancellationToken.None);
            var failed = await host.WaitForJobAsync(bad.Id, j => j.LastError?.Contains("does not follow the training protocol", StringComparison.Ordinal) == true,
                Long, "the garbage to be that job's error");
            Assert.Contains($"cloud {hostile.Id}", failed.LastError, StringComparison.Ordinal);
            Assert.Contains("this is not json", failed.LastError, StringComparison.Ordinal);

            // The other job is still polled to its end, and the controller (a BackgroundService) is still up.
            var finished = await host.WaitForJobAsync(good.Id, j => j.Status is JobStatus.Finished or JobStatus.Failed, Long, "the honest job to finish");
            Assert.Equal(JobStatus.Finished, finished.Status);
            Assert.False(host.Controller.ExecuteTask?.IsCompleted ?? false, "the controller stopped");
        }

        await host.Jobs.CancelAsync(bad.Id, CancellationToken.None);
    }
}
