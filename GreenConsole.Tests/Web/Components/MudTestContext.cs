using Bunit;
using Bunit.TestDoubles;
using GreenConsole.Web.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace GreenConsole.Tests.Web.Components;

/// <summary>
/// A bUnit context with MudBlazor's services and providers, loose JS interop (MudBlazor calls many small JS helpers
/// that these tests do not check), and the app's page helpers.
/// </summary>
public class MudTestContext : BunitContext, IAsyncLifetime
{
    private bool _disposedAsync;

    public MudTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(TimeProvider.System);
        Services.AddLogging();
        Authorization = AddAuthorization();
        Services.AddScoped<PageAuthorizer>();
    }

    public BunitAuthorizationContext Authorization { get; }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services dispose only asynchronously; xUnit calls this before the synchronous Dispose.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        _disposedAsync = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!(disposing && _disposedAsync))
        {
            base.Dispose(disposing);
        }
    }

    /// <summary>Renders <typeparamref name="T"/> after the popover and dialog providers MudBlazor's selects and dialogs need.</summary>
    public IRenderedComponent<MudProviders> RenderWithProviders<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : IComponent =>
        Render<MudProviders>(p => p.AddChildContent<T>(parameters ?? (_ => { })));
}

/// <summary>The providers MudBlazor expects at the root of the app (as MainLayout has them).</summary>
public sealed class MudProviders : ComponentBase
{
    [Parameter]
    public RenderFragment? ChildContent { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<MudSnackbarProvider>(2);
        builder.CloseComponent();
        builder.AddContent(3, ChildContent);
    }
}
