using GreenConsole.Web.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace GreenConsole.Web.Components.Layout;

public partial class MainLayout : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private bool drawerOpen = true;
    private bool darkMode;

    [Inject]
    private UserPreferences Preferences { get; set; } = default!;

    [Inject]
    private AuthenticationStateProvider AuthState { get; set; } = default!;

    [Inject]
    private ILogger<MainLayout> Logger { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        if (!RendererInfo.IsInteractive)
        {
            return;
        }

        try
        {
            var user = (await AuthState.GetAuthenticationStateAsync()).User;
            darkMode = await Preferences.GetDarkModeAsync(user, _cts.Token) ?? false;
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // A preference that cannot be read is not worth an error page: the light theme is shown.
            Logger.LogWarning("Could not read the display preferences: {Error}", e.Message);
        }
    }

    private void ToggleDrawer() => drawerOpen = !drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        darkMode = !darkMode;
        var user = (await AuthState.GetAuthenticationStateAsync()).User;
        await Preferences.SetDarkModeAsync(user, darkMode, _cts.Token);
    }

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
    }
}
