using GreenConsole.Core.Remote;

namespace GreenConsole.Agents.Probes;

/// <summary>The answer to a request broke the protocol (end marker without the expected number).</summary>
internal sealed class ProbeSessionProtocolException(string message) : Exception(message);

/// <summary>
/// One cloud's probe loop (<see cref="ProbeSessionProtocol.Script"/>) behind an <see cref="IRemoteSession"/>. Keeps
/// the static sections from the last <c>s</c> answer so every sample still carries them. One request at a time.
/// </summary>
internal sealed class ProbeSession : IAsyncDisposable
{
    private readonly IRemoteSession _remote;
    private readonly SemaphoreSlim _one = new(1, 1);
    private long _sequence;
    private string? _static;
    private int _pollsSinceStatic;

    public ProbeSession(IRemoteSession remote, SshTarget target)
    {
        _remote = remote;
        Target = target;
    }

    /// <summary>The target the session was opened for; a changed target needs a new session.</summary>
    public SshTarget Target { get; }

    public int? ProcessId => _remote.ProcessId;

    /// <summary>An answer is some 30 lines (more with many GPUs); these caps leave room for hundreds of GPUs.</summary>
    internal const int MaxAnswerLines = 4096;

    internal const int MaxAnswerChars = 1024 * 1024;

    public bool HasExited => _remote.HasExited;

    /// <summary>Answers received (the first one included).</summary>
    public int Answers { get; private set; }

    /// <summary>
    /// Sends one request and returns the answer in the one-shot script's format (static sections included). Throws
    /// <see cref="RemoteShellException"/> when the session ended and <see cref="ProbeSessionProtocolException"/>
    /// on a broken answer; either way the session is no longer usable.
    /// </summary>
    public async Task<string> SampleAsync(int staticRefreshPolls, CancellationToken cancellationToken)
    {
        if (!await _one.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A probe session answers one request at a time.");
        }

        try
        {
            var withStatic = _static is null || _pollsSinceStatic >= staticRefreshPolls;
            var sequence = ++_sequence;
            await _remote.WriteLineAsync(ProbeSessionProtocol.Request(sequence, withStatic), cancellationToken).ConfigureAwait(false);
            var lines = new List<string>(24);
            var answerChars = 0L;
            while (true)
            {
                var line = await _remote.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                switch (ProbeSessionProtocol.Classify(line, sequence))
                {
                    case SessionLineKind.Data:
                        answerChars += line.Length;
                        if (lines.Count >= MaxAnswerLines || answerChars > MaxAnswerChars)
                        {
                            // An answer is a few dozen short lines; a host that sends more is broken or hostile.
                            throw new ProbeSessionProtocolException(
                                $"answer {sequence} passed {MaxAnswerLines} lines or {MaxAnswerChars} characters without its end");
                        }

                        lines.Add(line);
                        continue;
                    case SessionLineKind.Stale:
                        lines.Clear();
                        continue;
                    case SessionLineKind.Invalid:
                        throw new ProbeSessionProtocolException($"expected the end of answer {sequence}, got '{Truncate(line)}'");
                }

                break;
            }

            Answers++;
            var body = string.Join('\n', lines);
            if (withStatic)
            {
                _static = ProbeSessionProtocol.StaticPart(lines);
                _pollsSinceStatic = 0;
                return body;
            }

            _pollsSinceStatic++;
            return _static + body;
        }
        finally
        {
            _one.Release();
        }
    }

    public ValueTask DisposeAsync() => _remote.DisposeAsync();

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80];
}
