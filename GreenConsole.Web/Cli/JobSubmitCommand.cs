using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Definitions;

namespace GreenConsole.Web.Cli;

/// <summary><c>job submit</c> (a researcher's own command) and <c>job logs</c> (its stdout or stderr).</summary>
internal static class JobSubmitCommand
{
    public static Command Submit(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var cloud = new Option<string>("--cloud") { Description = "Cloud id (or its zone / country code when unique)", Required = true };
        var project = new Option<string?>("--project") { Description = "The project folder: shipped from here (changed files only), or, with --project-on-cloud, a folder that exists on every cloud" };
        var onCloud = new Option<bool>("--project-on-cloud") { Description = "--project names a folder on the clouds (absolute or ~/...), nothing is shipped" };
        var commandText = new Option<string?>("--command") { Description = "What to run in the project folder, e.g. \"python3 train.py --epochs 3\"" };
        var mode = new Option<string>("--mode") { Description = "protocol | own-checkpoint | command", DefaultValueFactory = _ => JobModes.CommandName };
        var env = new Option<string[]>("--env") { Description = "K=V environment variable (repeatable)", AllowMultipleArgumentsPerToken = false };
        var secretEnv = new Option<string[]>("--secret-env") { Description = "NAME: a secret variable whose value is read from this process's environment variable NAME (repeatable); never put a secret on a command line" };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "own-checkpoint: the script's checkpoint folder, relative to the project" };
        var resumeArgs = new Option<string?>("--resume-args") { Description = "own-checkpoint: appended on a resume; {checkpoint} is the restored checkpoint's path", DefaultValueFactory = _ => null };
        var pattern = new Option<string>("--checkpoint-pattern") { Description = "own-checkpoint: which files are checkpoints (a glob; the first number in the name is the step)", DefaultValueFactory = _ => "*" };
        var stop = new Option<string>("--stop") { Description = "own-checkpoint: signal | next-checkpoint", DefaultValueFactory = _ => "signal" };
        var stopSignal = new Option<string>("--stop-signal") { Description = "TERM, INT, HUP, USR1 or USR2", DefaultValueFactory = _ => "TERM" };
        var stopTimeout = new Option<int>("--stop-timeout") { Description = "Seconds a script has to stop before it is killed and resumed from its last checkpoint", DefaultValueFactory = _ => 60 };
        var regex = new Option<string?>("--progress-regex") { Description = "Progress from stdout: a regex with (?<step>...) and optionally (?<loss>...), (?<epoch>...)" };
        var metrics = new Option<string?>("--metrics-file") { Description = "Progress from a JSONL or CSV file (columns step, loss, epoch) relative to the project" };
        var requires = new Option<string[]>("--requires") { Description = "A package that must import, e.g. torch>=2.0 (repeatable)" };
        var gpus = new Option<int>("--gpus") { Description = "GPUs needed" };
        var memory = new Option<long>("--min-memory-mb") { Description = "Free memory needed" };
        var disk = new Option<long>("--min-disk-mb") { Description = "Free disk needed beyond the project" };
        var dataPaths = new Option<string[]>("--data-path") { Description = "A path that must exist on the cloud (repeatable)" };
        var interpreter = new Option<string>("--interpreter") { Description = "The interpreter preflight checks", DefaultValueFactory = _ => "python3" };
        var allowed = new Option<string[]>("--allowed-cloud") { Description = "A cloud id the job may run or move to (repeatable; default: any)" };
        var name = new Option<string?>("--name") { Description = "Job name (also the template's name)" };
        var template = new Option<string?>("--template") { Description = "Start from a saved template; other options override its fields" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the job id" };
        var command = new Command("submit", "Run your own command or training script on a cloud (see README, \"Run your own training\")")
        {
            cloud, project, onCloud, commandText, mode, env, secretEnv, checkpointDir, resumeArgs, pattern, stop, stopSignal, stopTimeout,
            regex, metrics, requires, gpus, memory, disk, dataPaths, interpreter, allowed, name, template, json,
        };
        command.SetAction((parse, ct) => JobCommand.RunAsync(configuration, error, "submit", async (sp, c) =>
        {
            var errors = new List<FieldError>();
            var basis = parse.GetValue(template) is { } t
                ? await sp.GetRequiredService<JobDefinitionRepository>().GetAsync(t, c).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"No template '{t}' is saved.")
                : null;
            if (!JobModes.TryParse(parse.GetValue(mode), out var m))
            {
                errors.Add(new FieldError("mode", $"'{parse.GetValue(mode)}' is not one of {string.Join(", ", JobModes.Names)}"));
            }

            var variables = new List<JobVariable>(basis?.Environment ?? []);
            foreach (var kv in parse.GetValue(env) ?? [])
            {
                var eq = kv.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    errors.Add(new FieldError("env", $"'{kv}' is not K=V"));
                    continue;
                }

                variables.RemoveAll(v => v.Name == kv[..eq]);
                variables.Add(new JobVariable(kv[..eq], kv[(eq + 1)..]));
            }

            foreach (var secret in parse.GetValue(secretEnv) ?? [])
            {
                if (Environment.GetEnvironmentVariable(secret) is not { } value)
                {
                    errors.Add(new FieldError("secret-env", $"{secret} is not set in this process's environment"));
                    continue;
                }

                variables.RemoveAll(v => v.Name == secret);
                variables.Add(new JobVariable(secret, value, Secret: true));
            }

            var packages = new List<PackageRequirement>(basis?.Requirements.Packages ?? []);
            foreach (var r in parse.GetValue(requires) ?? [])
            {
                if (PackageRequirement.TryParse(r, out var p, out var why))
                {
                    packages.Add(p);
                }
                else
                {
                    errors.Add(new FieldError("requires", why));
                }
            }

            var projectPath = parse.GetValue(project) ?? basis?.Project.Path;
            var ownCheckpoint = parse.GetValue(checkpointDir) is { } dir
                ? new OwnCheckpointSettings(dir, parse.GetValue(resumeArgs) ?? "--resume " + OwnCheckpointSettings.CheckpointPlaceholder,
                    parse.GetValue(stop) == "next-checkpoint" ? StopMethod.NextCheckpoint : StopMethod.Signal, parse.GetValue(stopSignal)!, parse.GetValue(pattern)!)
                : basis?.OwnCheckpoint;
            if (parse.GetValue(stop) is not ("signal" or "next-checkpoint"))
            {
                errors.Add(new FieldError("stop", $"'{parse.GetValue(stop)}' is not signal or next-checkpoint"));
            }

            var progress = parse.GetValue(regex) is not null || parse.GetValue(metrics) is not null
                ? new ProgressSource(parse.GetValue(regex), parse.GetValue(metrics))
                : basis?.Progress;
            var definition = new JobDefinition
            {
                Name = parse.GetValue(name) ?? basis?.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(projectPath ?? "job")),
                Project = new JobProject(projectPath is null || parse.GetValue(onCloud) ? projectPath ?? "" : Path.GetFullPath(projectPath), parse.GetValue(onCloud) || (parse.GetValue(project) is null && basis?.Project.OnCloud == true)),
                Command = parse.GetValue(commandText) ?? basis?.Command ?? "",
                Mode = parse.GetResult(mode) is { Implicit: false } || basis is null ? m : basis.Mode,
                Environment = variables,
                Interpreter = parse.GetValue(interpreter)!,
                Requirements = new JobRequirements
                {
                    Gpus = parse.GetValue(gpus),
                    MinFreeMemoryMb = parse.GetValue(memory),
                    MinFreeDiskMb = parse.GetValue(disk),
                    Packages = packages,
                    DataPaths = [.. basis?.Requirements.DataPaths ?? [], .. parse.GetValue(dataPaths) ?? []],
                },
                OwnCheckpoint = ownCheckpoint,
                Progress = progress,
                AllowedClouds = parse.GetValue(allowed) is { Length: > 0 } a ? a : basis?.AllowedClouds ?? [],
                StopTimeoutSeconds = parse.GetValue(stopTimeout),
            };
            errors.AddRange(JobDefinitionRules.Validate(definition));
            if (errors.Count > 0)
            {
                throw new JobDefinitionException(errors);
            }

            var cloudId = await JobCommand.ResolveCloudAsync(sp, parse.GetValue(cloud)!, c).ConfigureAwait(false);
            var result = await sp.GetRequiredService<JobSubmitter>().SubmitAsync(new JobSubmitRequest(definition, cloudId), c).ConfigureAwait(false);
            await output.WriteLineAsync(parse.GetValue(json)
                ? JsonSerializer.Serialize(new
                {
                    id = result.Job.Id,
                    name = result.Job.Name,
                    status = result.Job.Status.ToString(),
                    mode = result.Job.ModeName,
                    cloud = result.Job.CurrentCloudId,
                    command = result.Command,
                    preflight = result.Preflight.Summary,
                    sync = result.Sync,
                }, JobCommand.Json)
                : $"submitted {JobService.Format(result.Job)}\n  preflight: {result.Preflight.Summary}\n  project: {result.Sync?.Describe() ?? "already on the cloud"}\n  command: {result.Command}").ConfigureAwait(false);
            return JobCommand.Ok;
        }, ct));
        return command;
    }

    public static Command Logs(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("ID") { Description = "Job id" };
        var follow = new Option<bool>("--follow") { Description = "Keep printing new output until the job ends" };
        var stderr = new Option<bool>("--stderr") { Description = "Print stderr instead of stdout" };
        var command = new Command("logs", "Print a job's stdout (or stderr) from its current cloud") { id, follow, stderr };
        command.SetAction((parse, ct) => JobCommand.RunAsync(configuration, error, "logs", async (sp, c) =>
        {
            var jobs = sp.GetRequiredService<JobService>();
            var time = sp.GetRequiredService<TimeProvider>();
            var stream = parse.GetValue(stderr) ? Core.Jobs.JobOutputStream.Stderr : Core.Jobs.JobOutputStream.Stdout;
            long offset = 0;
            while (true)
            {
                var (chunk, status) = await jobs.ReadOutputAsync(parse.GetValue(id)!, stream, offset, 1 << 20, c).ConfigureAwait(false);
                // What a cloud printed may hold terminal escapes: they are shown, never obeyed.
                await output.WriteAsync(string.Concat(chunk.Text.Select(ch => char.IsControl(ch) && ch is not ('\n' or '\t') ? '?' : ch))).ConfigureAwait(false);
                offset = chunk.NextOffset;
                if (chunk.NextOffset < chunk.Size)
                {
                    continue;
                }

                if (!parse.GetValue(follow) || Core.Jobs.JobLifecycle.IsFinal(status))
                {
                    return JobCommand.Ok;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, c).ConfigureAwait(false);
            }
        }, ct));
        return command;
    }
}
