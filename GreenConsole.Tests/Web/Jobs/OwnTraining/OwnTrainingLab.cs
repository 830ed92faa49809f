using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using GreenConsole.Tests.Lab;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Definitions;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Jobs.OwnTraining;

/// <summary>Shared set-up of the own-training tests: a controller over the lab, and researchers' scripts copied into temp project folders.</summary>
internal sealed class OwnTrainingLab(SshLabFixture lab, MigrationTestHost host, DirectoryInfo folder)
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    public const string StepRegex = @"step (?<step>\d+) loss (?<loss>[0-9.]+)";

    public MigrationTestHost Host => host;

    public JobSubmitter Submitter => host.Services.GetRequiredService<JobSubmitter>();

    public static async Task<OwnTrainingLab> StartAsync(SshLabFixture lab, DirectoryInfo folder, MigrationTestClock clock, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Migration:AutoMigrate"] = "false",
            ["Migration:RestartSeconds"] = "1",
            ["Migration:EarlyExitSeconds"] = "2",
        };
        foreach (var (k, v) in settings ?? [])
        {
            values[k] = v;
        }

        return new OwnTrainingLab(lab, await MigrationTestHost.StartAsync(lab, folder.FullName, clock, values), folder);
    }

    /// <summary>A fresh copy of one of the scripts in TestData/own-training, as a researcher's project folder.</summary>
    public string Project(string name)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "TestData", "own-training", name);
        var target = Path.Combine(folder.FullName, "projects", name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            var to = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, to);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(to, File.GetUnixFileMode(file));
            }
        }

        return target;
    }

    /// <summary>The own-checkpoint definition of TestData/own-training/resume_script with the given arguments.</summary>
    public static JobDefinition ResumeScript(string project, string arguments, int stopTimeoutSeconds = 30) => new()
    {
        Name = "resume-script",
        Project = JobProject.Local(project),
        Command = "/usr/bin/python3 train.py " + arguments,
        Mode = JobMode.OwnCheckpoint,
        OwnCheckpoint = new OwnCheckpointSettings("checkpoints", "--resume {checkpoint}", FilePattern: "ckpt-*.pt"),
        Progress = new ProgressSource(StepRegex),
        Requirements = new JobRequirements { Packages = [new PackageRequirement("torch", ">=", "1.10")] },
        Interpreter = "/usr/bin/python3",
        StopTimeoutSeconds = stopTimeoutSeconds,
    };

    public async Task<string> ReadOnCloudAsync(string zone, string jobId, string relative)
    {
        var r = await host.Shell.RunAsync(lab.Cloud(zone).Target, "cat \"$HOME/.greenconsole/jobs/" + jobId + "/" + relative + "\" 2>/dev/null; true", TimeSpan.FromSeconds(30), CancellationToken.None);
        return r.StandardOutput;
    }

    public Task<JobEntity> WaitForJobAsync(string id, Func<JobEntity, bool> condition, string what) => host.WaitForJobAsync(id, condition, Long, what);

    public async Task<List<JobEventEntity>> EventsAsync(string jobId) => [.. await host.Jobs.EventsAsync(jobId, CancellationToken.None)];

    /// <summary>Runs the script here without GreenConsole, uninterrupted: the result a move must reproduce.</summary>
    public string UninterruptedFinalHash(string arguments)
    {
        var dir = Project("resume_script");
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", "train.py " + arguments)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return File.ReadAllText(Path.Combine(dir, "final.sha256")).Trim();
    }

    public SshTarget Target(string zone) => lab.Cloud(zone).Target;

    /// <summary>The protocol-mode CNN run here without interruption (through the shipped helper's folder): its final weights' SHA-256.</summary>
    public string UninterruptedProtocolHash(string arguments)
    {
        var dir = Project("protocol_cnn");
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", "train.py " + arguments)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "Training", "python");
        start.Environment["GC_JOB_DIR"] = Path.Combine(dir, ".job");
        start.Environment["GC_CHECKPOINT_DIR"] = Path.Combine(dir, ".ckpt");
        using var p = System.Diagnostics.Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return output.Split('\n').Single(l => l.StartsWith("final weights ", StringComparison.Ordinal))["final weights ".Length..].Trim();
    }

    public static JobDefinition ProtocolCnn(string project, string arguments) => new()
    {
        Name = "protocol-cnn",
        Project = JobProject.Local(project),
        Command = "/usr/bin/python3 train.py " + arguments,
        Mode = JobMode.Protocol,
        Interpreter = "/usr/bin/python3",
        Requirements = new JobRequirements { Packages = [new PackageRequirement("torch", ">=", "1.10")] },
    };
}
