using GreenConsole.Web.Auth;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace GreenConsole.Web.Components.Pages.Admin;

public partial class Users
{
    private IReadOnlyList<UserSummary> users = [];
    private string newUser = "";
    private string newPassword = "";
    private string newRole = Roles.Researcher;
    private bool busy;

    [Inject]
    private UserAdministration UserAdmin { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private PageAuthorizer Authorizer { get; set; } = default!;

    protected override Task OnInitializedAsync() => ReloadAsync();

    private async Task ReloadAsync() => users = await UserAdmin.ListAsync(PageToken);

    private async Task CreateAsync()
    {
        if (await Authorizer.AuthorizeAsync(Policies.Administer) is null)
        {
            Snackbar.Add("Not allowed: only administrators manage users.", Severity.Error);
            return;
        }

        busy = true;
        try
        {
            var result = await UserAdmin.CreateAsync(newUser, newPassword, newRole, PageToken);
            if (result.Succeeded)
            {
                Snackbar.Add($"User created: {newUser}", Severity.Success);
                newUser = newPassword = "";
                await ReloadAsync();
            }
            else
            {
                Snackbar.Add("Could not create the user: " + string.Join(" ", result.Errors.Select(e => e.Description)), Severity.Error);
            }
        }
        finally
        {
            busy = false;
        }
    }

    private async Task DeleteAsync(UserSummary user)
    {
        if (await Authorizer.AuthorizeAsync(Policies.Administer) is not { } me)
        {
            Snackbar.Add("Not allowed: only administrators manage users.", Severity.Error);
            return;
        }

        var result = await UserAdmin.DeleteAsync(user.Id, me.Identity?.Name ?? "", PageToken);
        if (!result.Succeeded)
        {
            Snackbar.Add("Could not delete the user: " + string.Join(" ", result.Errors.Select(e => e.Description)), Severity.Error);
        }

        await ReloadAsync();
    }
}
