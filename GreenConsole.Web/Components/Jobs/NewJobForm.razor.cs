using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Jobs.Definitions;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace GreenConsole.Web.Components.Jobs;

/// <summary>The "New job" form: fields and their errors here, the rules in Core, the work in <see cref="JobSubmitter"/>.</summary>
public partial class NewJobForm
{
    private IReadOnlyList<FieldError> errors = [];
    private IReadOnlyList<PreflightResult> preflight = [];
    private string? failure;
    private bool busy;
    private string busyText = "";

    [Parameter]
    public IReadOnlyList<CloudSummary> Clouds { get; set; } = [];

    /// <summary>Raised with the new job once it runs.</summary>
    [Parameter]
    public EventCallback<JobSnapshot> Submitted { get; set; }

    [Inject]
    private JobSubmitter Submitter { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    public NewJobModel Model { get; } = new();

    protected override void OnParametersSet()
    {
        // As the reference trainer's card does: the first cloud is chosen until the researcher picks another.
        if (Model.CloudId is null || Clouds.All(c => c.Id != Model.CloudId))
        {
            Model.CloudId = Clouds.FirstOrDefault()?.Id;
        }
    }

    private void AddSecret()
    {
        errors = Model.AddSecret()
            ? [.. errors.Where(e => e.Field != "secretEnv")]
            : [.. errors.Where(e => e.Field != "secretEnv"), new FieldError("secretEnv", "type NAME=value, then Add secret")];
    }

    private bool Has(string field) => errors.Any(e => e.Field == field);

    private string Text(string field) => string.Join("; ", errors.Where(e => e.Field == field).Select(e => e.Message));

    private async Task CheckAsync()
    {
        var definition = Validate(requireCloud: false);
        if (definition is null)
        {
            return;
        }

        await WorkAsync("Checking each cloud (interpreter, packages, GPUs, disk, memory, data)…", async () =>
            preflight = await Submitter.PreflightAsync(definition, PageToken));
    }

    private async Task SubmitAsync()
    {
        var definition = Validate(requireCloud: true);
        if (definition is null)
        {
            return;
        }

        await WorkAsync("Checking the cloud, copying the project and starting the command…", async () =>
        {
            var result = await Submitter.SubmitAsync(new JobSubmitRequest(definition, Model.CloudId!.Value), PageToken);
            preflight = [result.Preflight];
            Snackbar.Add($"Job {result.Job.Name} runs on cloud {result.Job.CurrentCloudId}" + (result.Sync is { } s ? $" ({s.Describe()})" : ""), Severity.Success);
            await Submitted.InvokeAsync(result.Job);
        });
    }

    private JobDefinition? Validate(bool requireCloud)
    {
        failure = null;
        var definition = Model.Build(requireCloud, out var found);
        errors = found;
        return definition;
    }

    private async Task WorkAsync(string what, Func<Task> work)
    {
        busy = true;
        busyText = what;
        try
        {
            await work();
        }
        catch (JobDefinitionException e)
        {
            errors = e.Errors;
        }
        catch (ProjectException e)
        {
            errors = [new FieldError("project", e.Message)];
        }
        catch (JobPreflightException e)
        {
            preflight = [e.Result];
            failure = e.Message;
        }
        catch (JobStartException e)
        {
            failure = e.Message;
        }
        catch (Exception e) when (e is RemoteShellException or TrainingJobException or InvalidOperationException)
        {
            failure = e.Message;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            // The user left the page.
        }
        finally
        {
            busy = false;
        }
    }
}
