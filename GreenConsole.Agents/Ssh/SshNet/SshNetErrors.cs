using System.Net.Sockets;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Renci.SshNet.Common;
using Renci.SshNet.Messages.Transport;

namespace GreenConsole.Agents.Ssh.SshNet;

/// <summary>Maps what SSH.NET throws to the port's <see cref="RemoteErrorKind"/>, with messages that name the cloud and never a secret.</summary>
internal static class SshNetErrors
{
    /// <summary>Exceptions that mean the connection itself failed or went away (as opposed to a bug of ours).</summary>
    public static bool IsConnectionFailure(Exception e) =>
        e is SshException or SocketException or IOException or ObjectDisposedException or InvalidOperationException or ProxyException;

    public static RemoteShellException Map(SshTarget target, Exception e, HostKeyVerdict? hostKey, TimeSpan connectTimeout, ILogger logger)
    {
        if (e is RemoteShellException already)
        {
            return already;
        }

        if (hostKey is { Trusted: false } refused || e is SshConnectionException { DisconnectReason: DisconnectReason.HostKeyNotVerifiable })
        {
            var why = hostKey?.Refusal ?? "the host key could not be verified";
            logger.LogError("Host key of {Cloud} ({Endpoint}) changed: {Why}", target.CloudId, target.ToString(), why);
            return new RemoteShellException(RemoteErrorKind.HostKeyChanged,
                $"The host key of cloud {target.CloudId} ({target}) changed: {why}. Refusing to connect.", e);
        }

        var (kind, what) = e switch
        {
            SshAuthenticationException => (RemoteErrorKind.AuthenticationFailed, "rejected the credentials"),
            SocketException s => (RemoteErrorKind.HostUnreachable, "is unreachable (" + s.SocketErrorCode + ")"),
            SshOperationTimeoutException => (RemoteErrorKind.HostUnreachable, $"did not answer within {connectTimeout.TotalSeconds:0.#} s"),
            ProxyException => (RemoteErrorKind.HostUnreachable, "is unreachable"),
            SshConnectionException => (RemoteErrorKind.HostUnreachable, "closed the connection"),
            IOException or ObjectDisposedException => (RemoteErrorKind.HostUnreachable, "closed the connection"),
            _ => (RemoteErrorKind.ClientError, "could not be used (SSH client error)"),
        };
        var message = SshTargetRules.Redact(target, $"Cloud {target.CloudId} ({target}) {what}: {e.Message}");
        logger.LogWarning("SSH to {Cloud} ({Endpoint}) failed: {Kind}: {Reason}", target.CloudId, target.ToString(), kind, message);
        return new RemoteShellException(kind, message, e);
    }
}
