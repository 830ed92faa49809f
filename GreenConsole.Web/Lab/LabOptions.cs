namespace GreenConsole.Web.Lab;

public sealed class LabOptions
{
    public const string Section = "Lab";

    /// <summary>The CSV that scripts/lab.sh writes for its local sshd clouds.</summary>
    public string? CsvPath { get; set; } = ".lab/ssh_data.csv";

    /// <summary>Import that CSV at start-up (valid rows only), so a new user sees live clouds at once.</summary>
    public bool AutoImport { get; set; } = true;
}
