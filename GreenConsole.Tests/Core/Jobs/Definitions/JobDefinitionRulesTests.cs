using GreenConsole.Core.Jobs.Definitions;

namespace GreenConsole.Tests.Core.Jobs.Definitions;

public sealed class JobDefinitionRulesTests
{
    private static JobDefinition Valid => new()
    {
        Name = "cnn",
        Project = JobProject.Local("/home/ada/cnn"),
        Command = "python3 train.py --epochs 3",
        Mode = JobMode.OwnCheckpoint,
        OwnCheckpoint = new OwnCheckpointSettings("checkpoints", "--resume {checkpoint}"),
        Progress = new ProgressSource(@"step (?<step>\d+)"),
    };

    [Fact]
    public void A_complete_definition_has_no_errors() => Assert.Empty(JobDefinitionRules.Validate(Valid));

    public static TheoryData<string, Func<JobDefinition, JobDefinition>> BadDefinitions => new()
    {
        { "name", d => d with { Name = " " } },
        { "project", d => d with { Project = JobProject.Local("") } },
        { "project", d => d with { Project = JobProject.Remote("data/cnn") } },
        { "command", d => d with { Command = "" } },
        { "command", d => d with { Command = "python3 a.py\nrm -rf ~" } },
        { "interpreter", d => d with { Interpreter = "python3; rm -rf ~" } },
        { "env", d => d with { Environment = [new JobVariable("1BAD", "x")] } },
        { "env", d => d with { Environment = [new JobVariable("GC_JOB_DIR", "/tmp")] } },
        { "env", d => d with { Environment = [new JobVariable("A", "1"), new JobVariable("A", "2")] } },
        { "checkpointDir", d => d with { OwnCheckpoint = d.OwnCheckpoint! with { Directory = "../elsewhere" } } },
        { "checkpointDir", d => d with { OwnCheckpoint = null } },
        { "checkpointDir", d => d with { Mode = JobMode.Command } },
        { "resumeArgs", d => d with { OwnCheckpoint = d.OwnCheckpoint! with { ResumeArguments = "--resume" } } },
        { "stopSignal", d => d with { OwnCheckpoint = d.OwnCheckpoint! with { StopSignal = "KILL" } } },
        { "progressRegex", d => d with { Progress = new ProgressSource("loss (?<loss>[0-9.]+)") } },
        { "progressRegex", d => d with { Progress = new ProgressSource("step (") } },
        { "metricsFile", d => d with { Progress = new ProgressSource(MetricsFile: "/etc/passwd") } },
        { "dataPaths", d => d with { Requirements = new JobRequirements { DataPaths = ["datasets/imagenet"] } } },
        { "gpus", d => d with { Requirements = new JobRequirements { Gpus = -1 } } },
        { "stopTimeout", d => d with { StopTimeoutSeconds = 0 } },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public void Each_bad_field_is_named(string field, Func<JobDefinition, JobDefinition> change)
    {
        var errors = JobDefinitionRules.Validate(change(Valid));
        Assert.Contains(errors, e => e.Field == field);
    }

    [Fact]
    public void A_secret_value_is_never_echoed_in_an_error()
    {
        var errors = JobDefinitionRules.Validate(Valid with { Environment = [new JobVariable("TOKEN", "hunter2\nsecond-line", Secret: true)] });
        var e = Assert.Single(errors);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_preview_masks_secrets_and_shows_the_resume_arguments()
    {
        var d = Valid with { Environment = [new JobVariable("LR", "0.1"), new JobVariable("TOKEN", "hunter2", Secret: true), new JobVariable("NOTE", "two words")] };
        var preview = JobDefinitionRules.Preview(d, "~/p", "checkpoints/ckpt-20.pt");
        Assert.Equal("cd ~/p && LR=0.1 TOKEN=" + JobVariable.Mask + " NOTE='two words' python3 train.py --epochs 3 --resume checkpoints/ckpt-20.pt", preview);
        Assert.DoesNotContain("hunter2", preview, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("torch>=2.0", "2.1.0+cu121", true)]
    [InlineData("torch>=2.0", "1.13.0a0", false)]
    [InlineData("torch==2.1", "2.1.0", true)]
    [InlineData("numpy<2", "1.26.4", true)]
    [InlineData("numpy!=1.26.4", "1.26.4", false)]
    [InlineData("scikit-learn", "0.1", true)]
    [InlineData("torch>1.13", "1.13.1", true)]
    public void Package_bounds_compare_release_numbers(string requirement, string installed, bool ok)
    {
        Assert.True(PackageRequirement.TryParse(requirement, out var r, out var error), error);
        Assert.Equal(ok, r.IsSatisfiedBy(installed));
    }

    [Theory]
    [InlineData("torch >= ")]
    [InlineData("torch~=2.0")]
    [InlineData("rm -rf")]
    [InlineData("")]
    public void A_malformed_requirement_is_refused(string text) => Assert.False(PackageRequirement.TryParse(text, out _, out _));

    [Theory]
    [InlineData("outputs/", "outputs", true, true)]
    [InlineData("outputs/", "outputs", false, false)]
    [InlineData("*.tmp", "a/b/c.tmp", false, true)]
    [InlineData("data/*.bin", "data/x.bin", false, true)]
    [InlineData("data/*.bin", "data/sub/x.bin", false, false)]
    [InlineData("**/cache", "a/b/cache", true, true)]
    [InlineData("# comment", "# comment", false, false)]
    [InlineData("", ".git", true, true)]
    [InlineData("", ".git/HEAD", false, true)]
    [InlineData("", "src/train.py", false, false)]
    public void Gcignore_patterns(string pattern, string path, bool isFolder, bool ignored) =>
        Assert.Equal(ignored, new ProjectIgnore([pattern]).Ignores(path, isFolder));

    [Fact]
    public void A_sync_plan_sends_only_what_the_cloud_lacks_or_holds_differently()
    {
        var local = new[] { new ProjectFile("a.py", 10, "aa"), new ProjectFile("b.bin", 100, "bb"), new ProjectFile("c.txt", 5, "cc") };
        var remote = new Dictionary<string, string> { ["a.py"] = "AA", ["b.bin"] = "old", ["stale.txt"] = "zz" };
        var plan = ProjectSyncPlan.Between(local, remote);
        Assert.Equal(["b.bin", "c.txt"], plan.ToSend.Select(f => f.Path));
        Assert.Equal(105, plan.BytesToSend);
    }

    [Fact]
    public void Preflight_names_each_shortfall_and_compares_versions_with_the_source()
    {
        var d = Valid with
        {
            Requirements = new JobRequirements
            {
                Gpus = 1, MinFreeMemoryMb = 2048, MinFreeDiskMb = 100,
                Packages = [new PackageRequirement("torch", ">=", "2.0"), new PackageRequirement("numpy"), new PackageRequirement("timm")],
                DataPaths = ["/data/imagenet"],
            },
        };
        var facts = new PreflightFacts("3.11.2", new Dictionary<string, string?> { ["torch"] = "1.13.1", ["numpy"] = "1.26.4", ["timm"] = null }, 0,
            50L << 20, 1L << 30, ["/data/imagenet"]);
        var problems = PreflightRules.Problems(d, facts, projectBytes: 10L << 20);
        Assert.Equal(
            [
                "torch 1.13.1 < required 2.0",
                "timm does not import",
                "1 GPU(s) needed, 0 found",
                "free disk 50 MB < needed 110 MB (project 10 MB + 100 MB)",
                "free memory 1024 MB < needed 2048 MB",
                "data path /data/imagenet does not exist",
            ], problems);

        var ok = facts with { Packages = new Dictionary<string, string?> { ["torch"] = "2.1.0", ["numpy"] = "1.26.4", ["timm"] = "0.9" }, Gpus = 1, FreeDiskBytes = 1L << 34, FreeMemoryBytes = 1L << 34, MissingPaths = [] };
        Assert.Empty(PreflightRules.Problems(d, ok, 0));
        var source = ok with { Packages = new Dictionary<string, string?> { ["torch"] = "2.3.0", ["numpy"] = "1.26.0", ["timm"] = "0.9" } };
        Assert.Equal(["torch 2.1.0 differs from the source's 2.3.0 (major.minor must match to load its checkpoint)"], PreflightRules.Problems(d, ok, 0, source));
        Assert.Equal(["python3 does not run (command not found)"], PreflightRules.Problems(d, facts with { InterpreterVersion = null, InterpreterError = "command not found" }, 0));
    }

    [Fact]
    public void Only_command_mode_is_never_migrated_and_it_pauses_in_place()
    {
        Assert.Null(JobModes.WhyNotMigratable(JobMode.Protocol));
        Assert.Null(JobModes.WhyNotMigratable(JobMode.OwnCheckpoint));
        Assert.Contains("never migrated", JobModes.WhyNotMigratable(JobMode.Command), StringComparison.Ordinal);
        Assert.True(JobModes.PausesInPlace(JobMode.Command));
        foreach (var name in JobModes.Names)
        {
            Assert.True(JobModes.TryParse(name, out var m));
            Assert.Equal(name, m.Name());
        }
    }
}
