using GreenConsole.Core.Remote;
using GreenConsole.Web.Health;

namespace GreenConsole.Web.Clouds;

/// <summary>
/// Deletes a cloud and everything live that still speaks to it: its SSH connection (which would otherwise keep
/// working on the removed credentials until it idles out) and its health entry.
/// </summary>
/// <remarks>The shell and health store are optional: hosts without them (some CLI verbs) still delete rows.</remarks>
public sealed class CloudRemoval(CloudRepository clouds, IServiceProvider services, ILogger<CloudRemoval> logger)
{
    public async Task<bool> DeleteAsync(int id, CancellationToken cancellationToken)
    {
        SshTarget? target = null;
        try
        {
            target = await clouds.GetTargetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // The password cannot be decrypted: connect with what a disconnect needs (the endpoint), not the secret.
            logger.LogWarning("Cloud {CloudId}: {Error}; its connection is closed by endpoint", id, e.Message);
            target = await clouds.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } c
                ? new SshTarget { CloudId = id.ToString(System.Globalization.CultureInfo.InvariantCulture), Host = c.Host, Port = c.Port, Username = c.Username }
                : null;
        }

        if (!await clouds.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        services.GetService<CloudHealthStore>()?.Forget(id);
        if (target is not null && services.GetService<IRemoteShell>() is { } shell)
        {
            try
            {
                await shell.DisconnectAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteShellException e)
            {
                logger.LogWarning("Cloud {CloudId} deleted, but closing its SSH connection failed: {Error}", id, e.Message);
            }
        }

        return true;
    }
}
