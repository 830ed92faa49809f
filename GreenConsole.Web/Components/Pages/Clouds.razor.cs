using GreenConsole.Core.Remote;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Components.Clouds;
using GreenConsole.Web.Health;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace GreenConsole.Web.Components.Pages;

public partial class Clouds
{
    private IReadOnlyList<CloudSummary> clouds = [];
    private readonly HashSet<int> testing = [];
    private CloudSortColumn? sortColumn;
    private bool sortDescending;
    private int page;
    private bool isAdmin;

    [Inject]
    private CloudRepository Repository { get; set; } = default!;

    [Inject]
    private CloudRemoval Removal { get; set; } = default!;

    [Inject]
    private CloudHealthStore Health { get; set; } = default!;

    [Inject]
    private CloudHealthChecker Checker { get; set; } = default!;

    [Inject]
    private HostKeyTrustService HostKeys { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private PageAuthorizer Authorizer { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        isAdmin = await Authorizer.AuthorizeAsync(Policies.Administer) is not null;
        await ReloadAsync();
        Hold(Health.Changes.Subscribe(() => RenderLaterAsync(), TimeSpan.FromSeconds(1)));
    }

    private async Task ReloadAsync() => clouds = await Repository.ListAsync(PageToken);

    // The live store is newer than the row read at page load; fall back to the stored state before the first check.
    private CloudHealthView View(CloudSummary c) => CloudsView.Health(c, Health.Get(c.Id));

    private void SortBy(CloudSortColumn column)
    {
        sortDescending = sortColumn == column && !sortDescending;
        sortColumn = column;
        page = 0;
    }

    private string Arrow(CloudSortColumn column) => sortColumn != column ? "" : sortDescending ? "▼" : "▲";

    private async Task TestAsync(CloudSummary cloud)
    {
        testing.Add(cloud.Id);
        try
        {
            var result = await Checker.CheckOneAsync(cloud.Id, PageToken);
            if (result is { Reachable: true })
            {
                Snackbar.Add($"{cloud.DisplayName}: reachable in {result.LatencyMs:0} ms", Severity.Success);
            }
            else
            {
                Snackbar.Add($"{cloud.DisplayName}: {result?.Error ?? "the cloud no longer exists."}", Severity.Error);
            }
        }
        finally
        {
            testing.Remove(cloud.Id);
        }
    }

    /// <summary>
    /// Shows the pinned fingerprint next to the one the host presents now; only on an administrator's confirmation is
    /// exactly that key pinned (refused if the host changed it again meanwhile).
    /// </summary>
    private async Task ReviewHostKeyAsync(CloudSummary cloud)
    {
        if (await Authorizer.AuthorizeAsync(Policies.Administer) is not { } user)
        {
            Snackbar.Add("Not allowed: only administrators can trust host keys.", Severity.Error);
            return;
        }

        testing.Add(cloud.Id);
        try
        {
            var review = await HostKeys.ReviewAsync(cloud.Id, PageToken);
            if (!review.Differs)
            {
                Snackbar.Add($"{cloud.DisplayName}: the host presents its pinned key again; nothing to trust.", Severity.Info);
                return;
            }

            var parameters = new DialogParameters<HostKeyReviewDialog> { { d => d.Review, review }, { d => d.CloudName, cloud.DisplayName } };
            var dialog = await Dialogs.ShowAsync<HostKeyReviewDialog>("Review host key", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
            var answer = await dialog.Result;
            if (answer is null || answer.Canceled || answer.Data is not true)
            {
                return;
            }

            var presented = review.Presented[0];
            await HostKeys.TrustAsync(cloud.Id, presented, user.Identity?.Name ?? "?", PageToken);
            Snackbar.Add($"{cloud.DisplayName}: host key {presented} is trusted now.", Severity.Success);
        }
        catch (Exception e) when (e is RemoteShellException or InvalidOperationException)
        {
            Snackbar.Add($"{cloud.DisplayName}: {e.Message}", Severity.Error);
            return;
        }
        finally
        {
            testing.Remove(cloud.Id);
        }

        await TestAsync(cloud);
        await ReloadAsync();
    }

    private async Task DeleteAsync(CloudSummary cloud)
    {
        // Checked here too: hiding the button is not the authorisation.
        if (await Authorizer.AuthorizeAsync(Policies.Administer) is null)
        {
            Snackbar.Add("Not allowed: only administrators can delete clouds.", Severity.Error);
            return;
        }

        if (await Dialogs.ShowMessageBoxAsync("Delete cloud", $"Delete {cloud.DisplayName}? Its stored password and host key are removed.", yesText: "Delete", cancelText: "Keep") != true)
        {
            return;
        }

        await Removal.DeleteAsync(cloud.Id, PageToken);
        await ReloadAsync();
    }
}

/// <summary>A cloud's connection state as the table shows it.</summary>
public sealed record CloudHealthView(bool? Reachable, double? LatencyMs, string? ErrorKind, string? Error, string? Fingerprint);

public static class CloudsView
{
    /// <summary>The live check when there is one, else what was stored at the last check.</summary>
    public static CloudHealthView Health(CloudSummary c, CloudHealth? live) => live is { } h
        ? new CloudHealthView(h.Reachable, h.LatencyMs, h.ErrorKind?.ToString(), h.Error, h.HostKeyFingerprint ?? c.HostKeyFingerprint)
        : new CloudHealthView(c.Reachable, c.LatencyMs, c.LastErrorKind, c.LastError, c.HostKeyFingerprint);

    public static string Shorten(string text, int max = 40) => text.Length <= max ? text : text[..(max - 3)] + "...";
}
