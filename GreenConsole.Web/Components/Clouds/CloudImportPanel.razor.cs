using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace GreenConsole.Web.Components.Clouds;

/// <summary>The CSV upload, preview and import of the Clouds page; the flow itself is <see cref="CloudImportViewModel"/>.</summary>
public partial class CloudImportPanel
{
    [Inject]
    private CloudImportViewModel Model { get; set; } = default!;

    [Inject]
    private PageAuthorizer Authorizer { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Parameter]
    public EventCallback Imported { get; set; }

    private async Task OnFileAsync(InputFileChangeEventArgs e)
    {
        // Let the view Model refuse oversize files with a named limit instead of the browser stream throwing midway.
        await using var stream = e.File.OpenReadStream(Math.Max(Model.MaxFileBytes, 1) + 1, PageToken);
        await Model.LoadAsync(e.File.Name, stream, e.File.Size, PageToken);
    }

    private Task OnModeAsync(CloudImportMode mode) => Model.ChangeModeAsync(mode, PageToken);

    private async Task ImportAsync()
    {
        if (await Authorizer.AuthorizeAsync(Policies.Administer) is null)
        {
            Snackbar.Add("Not allowed: only administrators can register clouds.", Severity.Error);
            return;
        }

        var result = await Model.ImportAsync(PageToken);
        if (result is { Stored: true })
        {
            Snackbar.Add($"Clouds imported: {result.Created} new, {result.Updated} updated, {result.Unchanged} unchanged", Severity.Success);
            await Imported.InvokeAsync();
        }
    }
}
