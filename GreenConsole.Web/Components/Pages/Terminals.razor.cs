using GreenConsole.Core.Remote;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Terminals;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace GreenConsole.Web.Components.Pages;

public partial class Terminals
{
    private readonly CancellationTokenSource _cts = new();
    private IReadOnlyList<CloudSummary> clouds = [];
    private readonly List<TerminalSession> tabs = [];
    private int? selectedCloud;
    private int selectedTab;
    private bool opening;

    [Inject]
    private TerminalSessionManager Manager { get; set; } = default!;

    [Inject]
    private CloudRepository Clouds { get; set; } = default!;

    [Inject]
    private PageAuthorizer Authorizer { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        clouds = await Clouds.ListAsync(_cts.Token);
        selectedCloud = clouds.FirstOrDefault()?.Id;
    }

    private async Task OpenAsync()
    {
        if (await Authorizer.AuthorizeAsync(Policies.Operate) is not { } user || selectedCloud is not { } cloudId)
        {
            return;
        }

        opening = true;
        try
        {
            var session = await Manager.OpenAsync(cloudId, user.Identity?.Name ?? "?", rows: 24, cols: 80, _cts.Token);
            tabs.Add(session);
            selectedTab = tabs.Count - 1;
        }
        catch (Exception ex) when (ex is RemoteShellException or InvalidOperationException or IOException)
        {
            Snackbar.Add($"Could not open the terminal: {ex.Message}", Severity.Error);
        }
        finally
        {
            opening = false;
        }
    }

    private async Task CloseAsync(TerminalSession session)
    {
        tabs.Remove(session);
        selectedTab = Math.Max(0, Math.Min(selectedTab, tabs.Count - 1));
        await Manager.CloseAsync(session.Id, "closed by user");
    }

    /// <summary>The circuit ends when the browser tab closes; its terminals, and their SSH channels, end with it.</summary>
    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        foreach (var session in tabs)
        {
            await Manager.CloseAsync(session.Id, "browser closed");
        }

        tabs.Clear();
    }
}
