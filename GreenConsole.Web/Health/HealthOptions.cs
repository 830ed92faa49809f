using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Web.Health;

public sealed class HealthOptions
{
    public const string Section = "Health";

    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 30;

    [Range(1, 256)]
    public int MaxParallelChecks { get; set; } = 16;
}
