using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace GreenConsole.Web.Auth;

/// <summary>
/// The check every page action makes before it changes anything: hiding a button is not the authorisation, the
/// circuit's user must still hold the policy when the click arrives.
/// </summary>
public sealed class PageAuthorizer(AuthenticationStateProvider state, IAuthorizationService authorization)
{
    public async Task<ClaimsPrincipal> UserAsync() => (await state.GetAuthenticationStateAsync().ConfigureAwait(false)).User;

    /// <summary>The user when they hold <paramref name="policy"/>, else null.</summary>
    public async Task<ClaimsPrincipal?> AuthorizeAsync(string policy)
    {
        var user = await UserAsync().ConfigureAwait(false);
        return (await authorization.AuthorizeAsync(user, policy).ConfigureAwait(false)).Succeeded ? user : null;
    }
}
