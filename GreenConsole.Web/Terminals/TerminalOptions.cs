using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Web.Terminals;

public sealed class TerminalOptions
{
    public const string Section = "Terminals";

    /// <summary>A terminal with no input and no output for this long is closed.</summary>
    [Range(1, 24 * 60)]
    public int IdleTimeoutMinutes { get; set; } = 15;

    [Range(1, 1000)]
    public int MaxSessions { get; set; } = 32;

    /// <summary>One operator must not take every terminal slot (and every cloud's sshd sessions) from the others.</summary>
    [Range(1, 1000)]
    public int MaxSessionsPerUser { get; set; } = 4;

    /// <summary>Output chunks buffered per terminal before the reader (the browser) slows the remote side down.</summary>
    [Range(16, 65_536)]
    public int OutputBufferChunks { get; set; } = 1024;
}
