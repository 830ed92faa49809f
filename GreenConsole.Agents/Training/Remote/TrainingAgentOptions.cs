using System.ComponentModel.DataAnnotations;

namespace GreenConsole.Agents.Training.Remote;

/// <summary>Section "Training": how jobs are laid out and run on the clouds.</summary>
public sealed class TrainingAgentOptions
{
    public const string SectionName = "Training";

    /// <summary>Interpreter on the clouds (Debian's python3 has torch and scikit-learn).</summary>
    [Required]
    [RegularExpression(@"^/[A-Za-z0-9._/+-]+$", ErrorMessage = "Training:Python must be an absolute path of plain characters.")]
    public string Python { get; set; } = TrainingScripts.DefaultPython;

    /// <summary>Folder under the remote home that holds bin/ and jobs/.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", ErrorMessage = "Training:RemoteDirectory must be a relative path of plain characters (it lives under the remote home).")]
    public string RemoteDirectory { get; set; } = ".greenconsole";

    /// <summary>Limit of one control command (status, stop, verify, launch).</summary>
    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 60;
}
