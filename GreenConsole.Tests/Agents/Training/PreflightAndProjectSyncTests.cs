using GreenConsole.Agents.Training.Preflight;
using GreenConsole.Agents.Training.Projects;
using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Tests.Lab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>Preflight and the project copy against the real lab sshd, and against what a hostile cloud might answer.</summary>
[Collection(SshLabCollection.Name)]
public sealed class PreflightAndProjectSyncTests(SshLabFixture lab) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-preflight-");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private static JobDefinition Definition(params PackageRequirement[] packages) => new()
    {
        Name = "p",
        Project = JobProject.Local("/tmp/x"),
        Command = "true",
        Interpreter = "/usr/bin/python3",
        Requirements = new JobRequirements { Packages = packages, DataPaths = ["/etc/hostname", "~/no-such-dataset"] },
    };

    [Fact]
    public async Task The_lab_cloud_reports_its_torch_version_disk_memory_and_missing_paths()
    {
        await using var harness = new GreenConsole.Tests.Agents.Ssh.SshShellHarness();
        var shell = harness.Shell;
        var preflight = new RemotePreflight(shell, Options.Create(new TrainingAgentOptions()));
        var d = Definition(new PackageRequirement("torch", ">=", "1.0"), new PackageRequirement("gc_no_such_package"));
        var facts = await preflight.ProbeAsync(lab.Cloud("DE").Target, d, CancellationToken.None);
        Assert.StartsWith("3.", facts.InterpreterVersion, StringComparison.Ordinal);
        Assert.StartsWith("1.13", facts.Packages["torch"], StringComparison.Ordinal);
        Assert.Null(facts.Packages["gc_no_such_package"]);
        Assert.True(facts.FreeDiskBytes > 0 && facts.FreeMemoryBytes > 0);
        Assert.Equal(["~/no-such-dataset"], facts.MissingPaths);
        Assert.Contains("gc_no_such_package does not import", PreflightRules.Problems(d, facts, 0));

        var none = await preflight.ProbeAsync(lab.Cloud("DE").Target, d with { Interpreter = "/usr/bin/no-such-python" }, CancellationToken.None);
        Assert.Null(none.InterpreterVersion);
        Assert.Contains("no-such-python", none.InterpreterError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_answer_keeps_only_what_was_asked_and_bounded()
    {
        var d = Definition(new PackageRequirement("torch"));
        var json = "{\"python\":\"" + new string('9', 5000) + "\",\"packages\":{\"torch\":\"2.1\",\"evil\":\"x\"},\"gpus\":1e30,\"disk_free\":-5,\"mem_free\":\"lots\",\"missing\":[\"/etc/shadow\",\"~/no-such-dataset\",7]}";
        var facts = RemotePreflight.Parse(json, d, "c1");
        Assert.Equal(60, facts.InterpreterVersion!.Length);
        Assert.Equal(["torch"], facts.Packages.Keys);
        Assert.Equal(0, facts.Gpus);
        Assert.Equal(0, facts.FreeDiskBytes);
        Assert.Equal(["~/no-such-dataset"], facts.MissingPaths);
        Assert.Throws<TrainingJobException>(() => RemotePreflight.Parse("not json", d, "c1"));
    }

    [Fact]
    public async Task A_sync_sends_changed_files_only_and_a_failed_unpack_leaves_the_old_project()
    {
        await using var harness = new GreenConsole.Tests.Agents.Ssh.SshShellHarness();
        var shell = harness.Shell;
        var sync = new ProjectSync(shell, Options.Create(new TrainingAgentOptions()), TimeProvider.System, NullLogger<ProjectSync>.Instance);
        var project = Directory.CreateDirectory(Path.Combine(_folder.FullName, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "train.py"), "print('v1')\n");
        Directory.CreateDirectory(Path.Combine(project, "lib"));
        await File.WriteAllTextAsync(Path.Combine(project, "lib", "model.py"), "X = 1\n");
        var cloud = lab.Cloud("GB").Target;
        var job = "sync-" + Guid.NewGuid().ToString("N")[..8];

        var first = await sync.SyncAsync(cloud, job, project, CancellationToken.None);
        Assert.Equal((2, 2), (first.FilesSent, first.FilesTotal));
        Assert.Equal(0, (await sync.SyncAsync(cloud, job, project, CancellationToken.None)).FilesSent);

        await File.WriteAllTextAsync(Path.Combine(project, "train.py"), "print('v2')\n");
        var second = await sync.SyncAsync(cloud, job, project, CancellationToken.None);
        Assert.Equal(1, second.FilesSent);
        Assert.Equal(12, second.BytesSent);

        // The cloud holds a folder where the new file must go: the unpack fails, and the project there stays as it was.
        var remote = "\"$HOME/.greenconsole/jobs/" + job + "/project\"";
        await shell.RunAsync(cloud, "mkdir -p " + remote + "/.gc-staging && chmod 500 " + remote + "/.gc-staging", TimeSpan.FromSeconds(30), CancellationToken.None);
        await shell.RunAsync(cloud, "chmod 500 " + remote + "/lib", TimeSpan.FromSeconds(30), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(project, "lib", "extra.py"), "Y = 2\n");
        await File.WriteAllTextAsync(Path.Combine(project, "train.py"), "print('v3')\n");
        var e = await Assert.ThrowsAsync<ProjectException>(() => sync.SyncAsync(cloud, job, project, CancellationToken.None));
        Assert.Contains("cloud " + cloud.CloudId, e.Message, StringComparison.Ordinal);
        var after = await shell.RunAsync(cloud, "cat " + remote + "/train.py; chmod 700 " + remote + "/lib; rm -rf \"$HOME/.greenconsole/jobs/" + job + "\"", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.StartsWith("print('v", after.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual("print('v3')", after.StandardOutput.Trim());
    }
}
