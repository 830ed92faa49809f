using System.Diagnostics;
using System.Text;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Agents.Ssh;

internal sealed partial class OpenSshRemoteShell
{
    /// <summary>
    /// Starts one <c>ssh -T</c> client over the cloud's master connection, with stdin and stdout left open. The
    /// session holds no slot of <see cref="SshOptions.MaxSessionsPerCloud"/> once started: that limit stays below
    /// sshd's MaxSessions (10) with room for it, and holding a slot for hours would starve transfers and jobs.
    /// </summary>
    public async Task<IRemoteSession> OpenSessionAsync(SshTarget target, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        Validate(target);
        using (await AcquireAsync([target], cancellationToken).ConfigureAwait(false))
        {
            await EnsureMasterAsync(target, TimeSpan.FromSeconds(_options.MasterSetupTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        }

        var process = SshProcess.Start(SshStart(target, "-T", "--", Host(target), command));
        _logger.LogDebug("Opened a remote session on {Cloud} (ssh pid {Pid})", target.CloudId, process.Id);
        return new OpenSshRemoteSession(this, target, process);
    }

    private sealed class OpenSshRemoteSession : IRemoteSession
    {
        private const int StderrKeep = 8 * 1024;
        private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(2);

        private readonly OpenSshRemoteShell _shell;
        private readonly SshTarget _target;
        private readonly Process _process;
        private const int MaxLineChars = 1024 * 1024;

        private readonly StringBuilder _stderr = new();
        private readonly BoundedLineReader _lines;
        private readonly Task _stderrDrain;
        private int _disposed;

        public OpenSshRemoteSession(OpenSshRemoteShell shell, SshTarget target, Process process)
        {
            _shell = shell;
            _target = target;
            _process = process;
            ProcessId = process.Id;
            _process.StandardInput.NewLine = "\n";
            _lines = new BoundedLineReader(process.StandardOutput, MaxLineChars);
            _stderrDrain = DrainStderrAsync();
        }

        public int? ProcessId { get; }

        public bool HasExited
        {
            get
            {
                try
                {
                    return Volatile.Read(ref _disposed) != 0 || _process.HasExited;
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            try
            {
                await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw await EndedAsync().ConfigureAwait(false);
            }
        }

        public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

            // The master holds the other end of this pipe, so killing the client alone never ends the read: only the
            // token (or disposal, which closes the pipe) does.
            string? line;
            try
            {
                line = await _lines.ReadLineAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new RemoteShellException(RemoteErrorKind.OutputLimitExceeded, $"Session on cloud {_target.CloudId}: {e.Message}", e);
            }

            return line ?? throw await EndedAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            try
            {
                // End of input ends the remote loop, which lets the client exit on its own and leaves nothing behind.
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone: the kill below is a no-op then.
            }

            try
            {
                using var wait = new CancellationTokenSource(ExitWait);
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                SshProcess.Kill(_process);
                _shell._logger.LogDebug("Remote session on {Cloud} (ssh pid {Pid}) did not end on EOF and was killed", _target.CloudId, ProcessId);
            }

            _process.Dispose();
            try
            {
                await _stderrDrain.WaitAsync(ExitWait).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The master still holds the stderr pipe of a killed client; the drain ends when the master lets go.
            }
        }

        private async Task<RemoteShellException> EndedAsync()
        {
            int? exit = null;
            try
            {
                using var wait = new CancellationTokenSource(ExitWait);
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                exit = _process.ExitCode;
                await _stderrDrain.WaitAsync(ExitWait).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or InvalidOperationException)
            {
                // Still running or already disposed: report what is known.
            }

            string stderr;
            lock (_stderr)
            {
                stderr = _stderr.ToString();
            }

            if (exit == 255 && SshErrorClassifier.Classify(stderr) is not null)
            {
                return _shell.Failure(_target, stderr);
            }

            var code = exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
            return new RemoteShellException(RemoteErrorKind.ClientError,
                Redact(_target, $"The remote session on cloud {_target.CloudId} ({_target}) ended (exit {code}): {SshErrorClassifier.Summarize(stderr)}"));
        }

        private async Task DrainStderrAsync()
        {
            var buffer = new char[1024];
            try
            {
                int n;
                while ((n = await _process.StandardError.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
                {
                    lock (_stderr)
                    {
                        _stderr.Append(buffer, 0, n);
                        if (_stderr.Length > StderrKeep)
                        {
                            _stderr.Remove(0, _stderr.Length - StderrKeep);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The pipe was closed by disposal; what was kept is enough to classify the end.
            }
        }
    }
}
