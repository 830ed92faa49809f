using System.Text;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;
using Renci.SshNet;

namespace GreenConsole.Agents.Ssh.SshNet;

internal sealed partial class SshNetRemoteShell
{
    /// <summary>
    /// One exec channel on the cloud's connection with stdin and stdout left open. Like OpenSSH's sessions it holds
    /// no slot of <see cref="SshOptions.MaxSessionsPerCloud"/> once started: a probe session lives for hours.
    /// </summary>
    public async Task<IRemoteSession> OpenSessionAsync(SshTarget target, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        Validate(target);
        SshClient client;
        using (await AcquireAsync([target], cancellationToken).ConfigureAwait(false))
        {
            client = await Connections.GetAsync(target, SetupTimeout, cancellationToken).ConfigureAwait(false);
        }

        var cmd = Start(target, client, command, out var exec);
        Stream input;
        try
        {
            input = cmd.CreateInputStream();
        }
        catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
        {
            cmd.Dispose();
            throw SshNetErrors.Map(target, e, null, Connections.ConnectTimeout, _logger);
        }

        _logger.LogDebug("Opened a remote session on {Cloud}", target.CloudId);
        return new SshNetRemoteSession(this, target, cmd, exec, input);
    }

    private sealed class SshNetRemoteSession : IRemoteSession
    {
        private const int StderrKeep = 8 * 1024;
        private const int MaxLineChars = 1024 * 1024;
        private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(2);

        private readonly SshNetRemoteShell _shell;
        private readonly SshTarget _target;
        private readonly SshCommand _cmd;
        private readonly Task _exec;
        private readonly Stream _input;
        private readonly Stream _output;
        private readonly Stream _errors;
        private readonly BoundedLineReader _lines;
        private readonly Task<BoundedText> _stderr;
        private int _disposed;

        public SshNetRemoteSession(SshNetRemoteShell shell, SshTarget target, SshCommand cmd, Task exec, Stream input)
        {
            _shell = shell;
            _target = target;
            _cmd = cmd;
            _exec = exec;
            _input = input;
            _output = Out(cmd, target);
            _errors = Err(cmd, target);
            _lines = new BoundedLineReader(new StreamReader(_output, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false), MaxLineChars);
            _stderr = BoundedRead.ReadAsync(_errors, StderrKeep, onOverflow: null);
            _ = exec.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        /// <summary>No local process: the session is a channel of this process's connection.</summary>
        public int? ProcessId => null;

        public bool HasExited => Volatile.Read(ref _disposed) != 0 || _exec.IsCompleted;

        public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            try
            {
                await _input.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                await _input.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                throw await EndedAsync().ConfigureAwait(false);
            }
        }

        public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            string? line;
            try
            {
                line = await _lines.ReadLineAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new RemoteShellException(RemoteErrorKind.OutputLimitExceeded, $"Session on cloud {_target.CloudId}: {e.Message}", e);
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                line = null;
            }

            return line ?? throw await EndedAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // End of input ends the remote loop, which closes the channel on its own and leaves nothing behind.
            CloseQuietly(_input);
            try
            {
                await _exec.WaitAsync(ExitWait).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException || SshNetErrors.IsConnectionFailure(e))
            {
                await Abort(_cmd, _exec).ConfigureAwait(false);
                _shell._logger.LogDebug("Remote session on {Cloud} did not end on EOF and was stopped", _target.CloudId);
            }

            _cmd.Dispose();
            _output.Dispose();
            _errors.Dispose();
        }

        private async Task<RemoteShellException> EndedAsync()
        {
            var connected = true;
            try
            {
                await _exec.WaitAsync(ExitWait).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still running: report what is known.
            }
            catch (Exception e) when (SshNetErrors.IsConnectionFailure(e))
            {
                connected = false;
            }

            var stderr = "";
            try
            {
                stderr = (await _stderr.WaitAsync(ExitWait).ConfigureAwait(false)).Text;
            }
            catch (TimeoutException)
            {
                // The channel is still open for stderr; the end is reported without it.
            }

            if (!connected)
            {
                return new RemoteShellException(RemoteErrorKind.HostUnreachable,
                    $"The remote session on cloud {_target.CloudId} ({_target}) lost its connection.");
            }

            var code = _cmd.ExitStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
            return new RemoteShellException(RemoteErrorKind.ClientError,
                SshTargetRules.Redact(_target, $"The remote session on cloud {_target.CloudId} ({_target}) ended (exit {code}): {SshErrorClassifier.Summarize(stderr)}"));
        }
    }
}
