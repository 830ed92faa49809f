namespace GreenConsole.Web.Data;

/// <summary>Who opened a terminal on which cloud, when, and how it ended.</summary>
public sealed class TerminalAuditEntity
{
    public long Id { get; set; }
    public string SessionId { get; set; } = "";
    public string UserName { get; set; } = "";
    public int CloudId { get; set; }
    public string CloudName { get; set; } = "";
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? CloseReason { get; set; }
}
