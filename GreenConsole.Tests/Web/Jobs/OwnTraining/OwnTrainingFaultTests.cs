using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Migration;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Jobs.Definitions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Jobs.OwnTraining;

/// <summary>Each bad input and fault of a researcher's job gets a message naming the field, cloud or file, and loses nothing.</summary>
[Collection(SshLabCollection.Name)]
public sealed class OwnTrainingFaultTests(SshLabFixture lab) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-own-faults-");
    private readonly MigrationTestClock _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private async Task<int> JobCountAsync(MigrationTestHost host)
    {
        await using var db = host.NewContext();
        return await db.Jobs.CountAsync();
    }

    [Fact]
    public async Task A_missing_folder_and_a_link_outside_the_project_are_refused_before_anything_is_stored()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var kr = await host.CloudAsync("KR");

        var missing = OwnTrainingLab.ResumeScript(Path.Combine(_folder.FullName, "no-such-project"), "--steps 5");
        var e1 = await Assert.ThrowsAsync<ProjectException>(() => t.Submitter.SubmitAsync(new JobSubmitRequest(missing, kr.Id), CancellationToken.None));
        Assert.Contains("no-such-project", e1.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e1.Message, StringComparison.Ordinal);

        var project = t.Project("resume_script");
        File.CreateSymbolicLink(Path.Combine(project, "secrets.txt"), "/etc/passwd");
        var e2 = await Assert.ThrowsAsync<ProjectException>(() => t.Submitter.SubmitAsync(new JobSubmitRequest(OwnTrainingLab.ResumeScript(project, "--steps 5"), kr.Id), CancellationToken.None));
        Assert.Contains("secrets.txt", e2.Message, StringComparison.Ordinal);
        Assert.Contains("outside the project", e2.Message, StringComparison.Ordinal);

        Assert.Equal(0, await JobCountAsync(host));
    }

    [Fact]
    public async Task A_command_that_exits_at_once_is_reported_with_its_stderr_and_kept_as_failed()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var kr = await host.CloudAsync("KR");
        var d = new JobDefinition
        {
            Name = "typo",
            Project = JobProject.Local(t.Project("plain_command")),
            Command = "/usr/bin/python3 -c \"import sys; sys.stderr.write('FileNotFoundError: data/train.csv\\n'); sys.exit(4)\"",
        };
        var e = await Assert.ThrowsAsync<JobStartException>(() => t.Submitter.SubmitAsync(new JobSubmitRequest(d, kr.Id), CancellationToken.None));
        Assert.Contains("status 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("FileNotFoundError: data/train.csv", e.Message, StringComparison.Ordinal);
        var job = await host.JobAsync(e.JobId);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("FileNotFoundError: data/train.csv", job.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_that_ignores_the_stop_request_is_killed_and_resumed_from_its_last_checkpoint()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("GB");
        var d = OwnTrainingLab.ResumeScript(t.Project("resume_script"), "--steps 80 --ckpt-every 10 --delay 0.2 --ignore-sigterm", stopTimeoutSeconds: 2);
        var id = (await t.Submitter.SubmitAsync(new JobSubmitRequest(d, source.Id), CancellationToken.None)).Job.Id;
        await t.WaitForJobAsync(id, j => j.LastStep >= 15, "a first checkpoint");

        await host.Jobs.MigrateAsync(id, target.Id, CancellationToken.None);
        var finished = await t.WaitForJobAsync(id, j => j.Status is JobStatus.Finished or JobStatus.Failed, "the job to finish on GB");
        Assert.True(finished.Status == JobStatus.Finished, finished.LastError);
        Assert.Equal(target.Id, finished.CurrentCloudId);
        var m = Assert.Single(await host.Jobs.MigrationsAsync(id, CancellationToken.None));
        Assert.Equal(0, m.CheckpointStep!.Value % 10);
        var events = await t.EventsAsync(id);
        var stopped = Assert.Single(events, e => e.ToStep == nameof(MigrationStep.Checkpointed));
        Assert.Contains("killed after ignoring the stop request for 2 s", stopped.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"newest checkpoint is step {m.CheckpointStep}"), stopped.Message, StringComparison.Ordinal);
        var onTarget = (await t.ReadOnCloudAsync("GB", id, "project/steps_run.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((m.CheckpointStep + 1).ToString(), onTarget[0]);
    }

    [Fact]
    public async Task A_checkpoint_that_would_run_code_is_refused_on_the_target_and_never_loaded_there()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("DE");
        var gb = lab.Cloud("DE").Target;
        await host.Shell.RunAsync(gb, "rm -f \"$HOME/gc-hostile-payload-ran\"", TimeSpan.FromSeconds(30), CancellationToken.None);
        var d = new JobDefinition
        {
            Name = "hostile",
            Project = JobProject.Local(t.Project("hostile_script")),
            Command = "/usr/bin/python3 train.py",
            Mode = JobMode.OwnCheckpoint,
            OwnCheckpoint = new OwnCheckpointSettings("checkpoints", "--resume {checkpoint}", FilePattern: "ckpt-*.pt"),
            Progress = new ProgressSource(OwnTrainingLab.StepRegex),
            StopTimeoutSeconds = 5,
        };
        var id = (await t.Submitter.SubmitAsync(new JobSubmitRequest(d, source.Id), CancellationToken.None)).Job.Id;
        await t.WaitForJobAsync(id, j => j.LastStep >= 15, "the hostile checkpoint");

        await host.Jobs.MigrateAsync(id, target.Id, CancellationToken.None);
        var m = await MigrationTestHost.WaitForAsync(async () =>
            (await host.Jobs.MigrationsAsync(id, CancellationToken.None)).FirstOrDefault(x => x.CompletedAt is not null), OwnTrainingLab.Long, "the move to end");
        Assert.NotEqual(nameof(MigrationStep.RunningOnTarget), m.Step);
        var events = await t.EventsAsync(id);
        Assert.True(events.Any(e => e.Message.Contains("names posix.system, which a checkpoint may not contain", StringComparison.Ordinal)), string.Join("\n", events.Select(e => e.Kind + " " + e.Message)));
        var ran = await host.Shell.RunAsync(gb, "test -e \"$HOME/gc-hostile-payload-ran\" && echo ran || echo clean", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal("clean", ran.StandardOutput.Trim());
        await host.Jobs.CancelAsync(id, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_target_without_a_required_package_is_excluded_with_the_reason_and_the_job_stays()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var source = await host.CloudAsync("KR");
        var target = await host.CloudAsync("CA-ON");
        var kr = lab.Cloud("KR").Target;
        // A package only KR has: the researcher's own library, installed in KR's user site-packages.
        const string install = "d=$(/usr/bin/python3 -m site --user-site) && mkdir -p \"$d/gcresearchlib\" && echo '__version__ = \"2.1.0\"' > \"$d/gcresearchlib/__init__.py\"";
        Assert.True((await host.Shell.RunAsync(kr, install, TimeSpan.FromSeconds(30), CancellationToken.None)).Succeeded);
        try
        {
            var d = OwnTrainingLab.ResumeScript(t.Project("resume_script"), "--steps 200 --ckpt-every 10 --delay 0.1") with
            {
                Requirements = new JobRequirements { Packages = [new PackageRequirement("torch", ">=", "1.10"), new PackageRequirement("gcresearchlib", ">=", "2.0")] },
            };
            var id = (await t.Submitter.SubmitAsync(new JobSubmitRequest(d, source.Id), CancellationToken.None)).Job.Id;
            await t.WaitForJobAsync(id, j => j.LastStep >= 3, "progress on KR");

            await host.Jobs.MigrateAsync(id, target.Id, CancellationToken.None);
            var m = await MigrationTestHost.WaitForAsync(async () =>
                (await host.Jobs.MigrationsAsync(id, CancellationToken.None)).FirstOrDefault(x => x.CompletedAt is not null), OwnTrainingLab.Long, "the refused move");
            Assert.Equal(nameof(MigrationStep.RunningOnSource), m.Step);
            Assert.Null(m.StopRequestedAt);
            var events = await t.EventsAsync(id);
            Assert.Contains(events, e => e.Kind == "Preflight" && e.Message.Contains("gcresearchlib does not import", StringComparison.Ordinal));
            var job = await t.WaitForJobAsync(id, j => j.Status == JobStatus.Running, "the job to train on");
            Assert.Equal(source.Id, job.CurrentCloudId);
            var refused = host.Services.GetRequiredService<PreflightStore>().Of(id).Single(r => r.CloudId == target.Id.ToString(CultureInfo.InvariantCulture));
            Assert.False(refused.Ok);
            await host.Jobs.CancelAsync(id, CancellationToken.None);
        }
        finally
        {
            await host.Shell.RunAsync(kr, "rm -rf \"$(/usr/bin/python3 -m site --user-site)/gcresearchlib\"", TimeSpan.FromSeconds(30), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_second_move_of_a_50_MB_project_sends_only_the_changed_file()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var kr = await host.CloudAsync("KR");
        var ca = await host.CloudAsync("CA-ON");
        var project = t.Project("resume_script");
        Directory.CreateDirectory(Path.Combine(project, "data"));
        for (var i = 0; i < 50; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(project, "data", $"part-{i:00}.bin"), RandomNumberGenerator.GetBytes(1 << 20));
        }

        // Left out: .git and what .gcignore names.
        Directory.CreateDirectory(Path.Combine(project, ".git"));
        await File.WriteAllTextAsync(Path.Combine(project, ".git", "HEAD"), "ref: refs/heads/main\n");
        Directory.CreateDirectory(Path.Combine(project, "outputs"));
        await File.WriteAllBytesAsync(Path.Combine(project, "outputs", "big.bin"), new byte[3 << 20]);
        await File.WriteAllTextAsync(Path.Combine(project, ".gcignore"), "# results stay here\noutputs/\n*.tmp\n");
        await File.WriteAllTextAsync(Path.Combine(project, "scratch.tmp"), "x");
        var scriptBytes = new FileInfo(Path.Combine(project, "train.py")).Length;
        var total = (50L << 20) + scriptBytes + new FileInfo(Path.Combine(project, ".gcignore")).Length;

        var d = OwnTrainingLab.ResumeScript(project, "--steps 400 --ckpt-every 10 --delay 0.1");
        var submitted = await t.Submitter.SubmitAsync(new JobSubmitRequest(d, kr.Id), CancellationToken.None);
        var id = submitted.Job.Id;
        Assert.Equal(52, submitted.Sync!.FilesSent);
        Assert.Equal(total, submitted.Sync.BytesSent);

        await t.WaitForJobAsync(id, j => j.LastStep >= 12, "progress on KR");
        await host.Jobs.MigrateAsync(id, ca.Id, CancellationToken.None);
        await t.WaitForJobAsync(id, j => j.CurrentCloudId == ca.Id && j.Status == JobStatus.Running, "the first move");
        var first = SyncOf(await t.EventsAsync(id), ca.Id).Single();
        Assert.Equal(total, first.BytesSent);

        // The researcher changes one data file; the move back to KR (which has the rest) sends that file only.
        await File.WriteAllBytesAsync(Path.Combine(project, "data", "part-07.bin"), RandomNumberGenerator.GetBytes(1 << 20));
        await t.WaitForJobAsync(id, j => j.LastStep >= 25, "progress on CA-ON");
        await host.Jobs.MigrateAsync(id, kr.Id, CancellationToken.None);
        await t.WaitForJobAsync(id, j => j.CurrentCloudId == kr.Id && j.Status == JobStatus.Running, "the move back");
        var second = SyncOf(await t.EventsAsync(id), kr.Id).Last();
        Assert.Equal(1, second.FilesSent);
        Assert.Equal(1L << 20, second.BytesSent);
        Assert.Equal(52, second.FilesTotal);
        var listing = await host.Shell.RunAsync(lab.Cloud("KR").Target, $"cd \"$HOME/.greenconsole/jobs/{id}/project\" && ls -a . && sha256sum data/part-07.bin", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.DoesNotContain("outputs", listing.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(".git", listing.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(project, "data", "part-07.bin")))), listing.StandardOutput, StringComparison.Ordinal);
        await host.Jobs.CancelAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task A_disk_that_fills_during_the_project_copy_stops_the_move_and_the_job_trains_on()
    {
        var t = await OwnTrainingLab.StartAsync(lab, _folder, _clock);
        await using var host = t.Host;
        var kr = await host.CloudAsync("KR");
        var ca = await host.CloudAsync("CA-ON");
        var project = t.Project("resume_script");
        Directory.CreateDirectory(Path.Combine(project, "data"));
        for (var i = 0; i < 12; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(project, "data", $"part-{i:00}.bin"), RandomNumberGenerator.GetBytes(1 << 20));
        }

        var id = (await t.Submitter.SubmitAsync(new JobSubmitRequest(OwnTrainingLab.ResumeScript(project, "--steps 400 --ckpt-every 10 --delay 0.1"), kr.Id), CancellationToken.None)).Job.Id;
        await t.WaitForJobAsync(id, j => j.LastStep >= 5, "progress on KR");

        // On CA-ON the job's project folder is a 4 MB file system: the 12 MB copy fills it.
        var target = lab.Cloud("CA-ON").Target;
        var where = await host.Shell.RunAsync(target, $"d=\"$HOME/.greenconsole/jobs/{id}/project\"; mkdir -p \"$d\" && echo \"$d\" && id -u", TimeSpan.FromSeconds(30), CancellationToken.None);
        var (dir, uid) = (where.StandardOutput.Split('\n')[0].Trim(), where.StandardOutput.Split('\n')[1].Trim());
        await RunRootAsync("mount", "-t", "tmpfs", "-o", $"size=4m,uid={uid},mode=0700", "tmpfs", dir);
        try
        {
            await host.Jobs.MigrateAsync(id, ca.Id, CancellationToken.None);
            var m = await MigrationTestHost.WaitForAsync(async () =>
                (await host.Jobs.MigrationsAsync(id, CancellationToken.None)).FirstOrDefault(x => x.CompletedAt is not null), OwnTrainingLab.Long, "the failed move to end");
            Assert.Equal(nameof(MigrationStep.RunningOnSource), m.Step);
            Assert.Null(m.StopRequestedAt);
            var events = await t.EventsAsync(id);
            Assert.True(events.Any(e => e.Message.Contains("could not be copied to cloud " + ca.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)),
                string.Join("\n", events.Select(e => e.Kind + " " + e.Message)));
            var job = await t.WaitForJobAsync(id, j => j.Status == JobStatus.Running, "the job to train on");
            var step = job.LastStep;
            Assert.Equal(kr.Id, job.CurrentCloudId);
            await t.WaitForJobAsync(id, j => j.LastStep > step, "more progress on KR after the failed move");
            await host.Jobs.CancelAsync(id, CancellationToken.None);
        }
        finally
        {
            await RunRootAsync("umount", dir);
        }
    }

    private static async Task RunRootAsync(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(args[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(start)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{string.Join(' ', args)} failed (the lab tests run as root, as scripts/lab.sh needs): {err}");
    }

    private static IEnumerable<ProjectSyncResult> SyncOf(IEnumerable<GreenConsole.Web.Data.JobEventEntity> events, int cloudId) =>
        events.Where(e => e.Kind == "Sync" && e.Message.StartsWith(string.Create(CultureInfo.InvariantCulture, $"Project copied to cloud {cloudId}:"), StringComparison.Ordinal))
            .Select(e => JsonSerializer.Deserialize<ProjectSyncResult>(e.DataJson!)!);
}
