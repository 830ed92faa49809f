using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using GreenConsole.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Cli;

/// <summary>
/// <c>job start|list|migrate|pause|resume|cancel</c> over the same database and settings as the web app. Exit codes:
/// 0 done, 1 refused or failed (unknown job or cloud, wrong state, unreachable cloud, bad settings).
/// </summary>
internal static class JobCommand
{
    public const int Ok = 0;
    public const int Failed = 1;

    private const string ControllerNote =
        "The CLI only records migrate requests and sends stop requests; the migration controller of the running web app " +
        "carries them out (drains, copies, verifies and restarts a migrating job; marks a pausing/cancelling job Paused/Cancelled once it stopped). " +
        "Without a running web app such a job stays Migrating, Pausing or Cancelling.";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var job = new Command("job", "Start the reference trainer or submit your own command; list, follow, migrate, pause, resume or cancel jobs. " + ControllerNote);
        job.Subcommands.Add(Start(configuration, output, error));
        job.Subcommands.Add(JobSubmitCommand.Submit(configuration, output, error));
        job.Subcommands.Add(JobSubmitCommand.Logs(configuration, output, error));
        job.Subcommands.Add(List(configuration, output, error));
        job.Subcommands.Add(Migrate(configuration, output, error));
        job.Subcommands.Add(Simple("pause", "Ask a running job to checkpoint and stop where it is (the web app's controller marks it Paused once stopped)",
            configuration, output, error, (s, id, ct) => s.PauseAsync(id, ct), id => $"Pause of job {id} requested; the job checkpoints and stops, the web app's controller marks it Paused."));
        job.Subcommands.Add(Simple("resume", "Resume a paused job on its current cloud from its latest checkpoint",
            configuration, output, error, (s, id, ct) => s.ResumeAsync(id, ct), id => $"Job {id} resumed."));
        job.Subcommands.Add(Simple("cancel", "Cancel a job (a running job checkpoints and stops; the web app's controller marks it Cancelled; a paused job is cancelled at once)",
            configuration, output, error, (s, id, ct) => s.CancelAsync(id, ct), id => $"Cancel of job {id} requested."));
        return job;
    }

    private static Command Start(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var cloud = new Option<string>("--cloud") { Description = "Cloud id (or its zone / country code when unique)", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 6 };
        var delay = new Option<int>("--step-delay-ms") { Description = "Sleep after every mini-batch (GC_STEP_DELAY_MS), so a migration can be watched", DefaultValueFactory = _ => 0 };
        var name = new Option<string?>("--name") { Description = "Display name (default: the job id)" };
        var json = new Option<bool>("--json") { Description = "Print the started job as one JSON object" };
        var command = new Command("start", "Start the reference trainer on a cloud") { cloud, epochs, delay, name, json };
        command.SetAction((parse, ct) => RunAsync(configuration, error, "start", async (sp, c) =>
        {
            var cloudId = await ResolveCloudAsync(sp, parse.GetValue(cloud)!, c).ConfigureAwait(false);
            var started = await sp.GetRequiredService<JobService>().StartAsync(
                new JobStartRequest(cloudId, parse.GetValue(name), parse.GetValue(epochs), StepDelayMs: parse.GetValue(delay)), c).ConfigureAwait(false);
            await output.WriteLineAsync(parse.GetValue(json) ? JsonSerializer.Serialize(started, Json) : "started " + JobService.Format(started)).ConfigureAwait(false);
            return Ok;
        }, ct));
        return command;
    }

    private static Command List(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per job" };
        var command = new Command("list", "List jobs, newest first") { json };
        command.SetAction((parse, ct) => RunAsync(configuration, error, "list", async (sp, c) =>
        {
            var jobs = await sp.GetRequiredService<JobService>().ListAsync(c).ConfigureAwait(false);
            foreach (var j in jobs)
            {
                await output.WriteLineAsync(parse.GetValue(json) ? JsonSerializer.Serialize(j, Json) : JobService.Format(j)).ConfigureAwait(false);
            }

            if (!parse.GetValue(json) && jobs.Count == 0)
            {
                await output.WriteLineAsync("no jobs").ConfigureAwait(false);
            }

            return Ok;
        }, ct));
        return command;
    }

    private static Command Migrate(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("ID") { Description = "Job id" };
        var to = new Option<string>("--to") { Description = "Target cloud id (or its zone / country code when unique)", Required = true };
        var command = new Command("migrate", "Request a migration now. " + ControllerNote) { id, to };
        command.SetAction((parse, ct) => RunAsync(configuration, error, "migrate", async (sp, c) =>
        {
            var jobId = parse.GetValue(id)!;
            var target = await ResolveCloudAsync(sp, parse.GetValue(to)!, c).ConfigureAwait(false);
            var migration = await sp.GetRequiredService<JobService>().MigrateAsync(jobId, target, c).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Migration {migration} of job {jobId} to cloud {target} requested; the running web app's controller carries it out.")).ConfigureAwait(false);
            return Ok;
        }, ct));
        return command;
    }

    private static Command Simple(
        string verb, string description, IConfiguration configuration, TextWriter output, TextWriter error,
        Func<JobService, string, CancellationToken, Task> action, Func<string, string> done)
    {
        var id = new Argument<string>("ID") { Description = "Job id" };
        var command = new Command(verb, description) { id };
        command.SetAction((parse, ct) => RunAsync(configuration, error, verb, async (sp, c) =>
        {
            var jobId = parse.GetValue(id)!;
            await action(sp.GetRequiredService<JobService>(), jobId, c).ConfigureAwait(false);
            await output.WriteLineAsync(done(jobId)).ConfigureAwait(false);
            return Ok;
        }, ct));
        return command;
    }

    /// <summary>A cloud id, or a zone / country code naming exactly one registered cloud.</summary>
    internal static async Task<int> ResolveCloudAsync(IServiceProvider sp, string text, CancellationToken ct)
    {
        var clouds = await sp.GetRequiredService<CloudRepository>().ListAsync(ct).ConfigureAwait(false);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return clouds.Any(c => c.Id == id) ? id : throw new InvalidOperationException($"No cloud {id} is registered (import clouds with import-csv).");
        }

        var matches = clouds.Where(c => string.Equals(c.Zone, text, StringComparison.OrdinalIgnoreCase) || string.Equals(c.CountryCode, text, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0].Id,
            0 => throw new InvalidOperationException($"No cloud '{text}' is registered: give a cloud id or the zone / country code of a registered cloud."),
            _ => throw new InvalidOperationException(
                $"Cloud '{text}' is ambiguous: clouds {string.Join(", ", matches.Select(c => c.Id.ToString(CultureInfo.InvariantCulture)))} match; give the cloud id."),
        };
    }

    internal static async Task<int> RunAsync(IConfiguration configuration, TextWriter error, string verb, Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        try
        {
            await using var scope = CliServices.Build(configuration, CliModules.Jobs);
            var provider = scope.Services;
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            return await action(provider, ct).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            await error.WriteLineAsync($"job {verb}: invalid settings: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
            return Failed;
        }
        catch (Core.Jobs.Definitions.JobDefinitionException e)
        {
            foreach (var f in e.Errors)
            {
                await error.WriteLineAsync($"job {verb}: {f.Field}: {f.Message}").ConfigureAwait(false);
            }

            return Failed;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or TrainingJobException or RemoteShellException or DbUpdateException or IOException
            or Core.Jobs.Definitions.ProjectException or Jobs.Definitions.JobPreflightException or Jobs.Definitions.JobStartException)
        {
            await error.WriteLineAsync($"job {verb}: {e.Message}").ConfigureAwait(false);
            return Failed;
        }
    }
}
