using System.Globalization;
using GreenConsole.Core.Jobs.Definitions;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>
/// The "New job" form's fields as typed, and the definition they make. The rules are Core's
/// (<see cref="JobDefinitionRules"/>); this only parses text boxes and says which box an error belongs to.
/// </summary>
public sealed class NewJobModel
{
    public string Name { get; set; } = "";
    public string ProjectPath { get; set; } = "";
    public bool ProjectOnCloud { get; set; }
    public string Command { get; set; } = "";
    public JobMode Mode { get; set; } = JobMode.Command;

    /// <summary>One K=V per line.</summary>
    public string Variables { get; set; } = "";

    /// <summary>NAME=value lines added one at a time through a password box; stored encrypted, never shown again.</summary>
    public List<string> SecretVariables { get; } = [];

    /// <summary>The password box's current text, moved into <see cref="SecretVariables"/> by <see cref="AddSecret"/>.</summary>
    public string SecretDraft { get; set; } = "";

    /// <summary>The names of the secrets added so far (their values are never shown).</summary>
    public IEnumerable<string> SecretNames => SecretVariables.Select(l => l.Split('=', 2)[0].Trim());

    /// <summary>Moves the typed NAME=value into the secrets; false (the box keeps its text) when it is not NAME=value.</summary>
    public bool AddSecret()
    {
        var line = SecretDraft.Trim();
        if (line.IndexOf('=', StringComparison.Ordinal) <= 0)
        {
            return false;
        }

        SecretVariables.RemoveAll(l => l.Split('=', 2)[0].Trim() == line.Split('=', 2)[0].Trim());
        SecretVariables.Add(line);
        SecretDraft = "";
        return true;
    }

    public string Interpreter { get; set; } = "python3";

    /// <summary>Comma- or line-separated, e.g. "torch>=2.0, numpy".</summary>
    public string Requires { get; set; } = "";
    public int Gpus { get; set; }
    public long MinFreeMemoryMb { get; set; }
    public long MinFreeDiskMb { get; set; }

    /// <summary>One path per line.</summary>
    public string DataPaths { get; set; } = "";
    public string CheckpointDir { get; set; } = "";
    public string CheckpointPattern { get; set; } = "*";
    public string ResumeArgs { get; set; } = "--resume " + OwnCheckpointSettings.CheckpointPlaceholder;
    public StopMethod Stop { get; set; } = StopMethod.Signal;
    public string StopSignal { get; set; } = "TERM";
    public int StopTimeoutSeconds { get; set; } = 60;
    public string ProgressRegex { get; set; } = "";
    public string MetricsFile { get; set; } = "";
    public IReadOnlyCollection<int> AllowedClouds { get; set; } = [];
    public int? CloudId { get; set; }

    /// <summary>
    /// The definition, or null with every problem by field name (the names <see cref="JobDefinitionRules"/> uses). A
    /// preflight of every cloud needs no start cloud; a submit does.
    /// </summary>
    public JobDefinition? Build(bool requireCloud, out IReadOnlyList<FieldError> errors)
    {
        var problems = new List<FieldError>();
        var variables = Pairs(Variables, secret: false, problems).Concat(Pairs(string.Join('\n', SecretVariables), secret: true, problems)).ToList();
        var packages = new List<PackageRequirement>();
        foreach (var item in Split(Requires, ','))
        {
            if (PackageRequirement.TryParse(item, out var p, out var why))
            {
                packages.Add(p);
            }
            else
            {
                problems.Add(new FieldError("requires", why));
            }
        }

        if (requireCloud && CloudId is null)
        {
            problems.Add(new FieldError("cloud", "choose the cloud to start on"));
        }

        var definition = new JobDefinition
        {
            Name = Name.Trim(),
            Project = new JobProject(ProjectPath.Trim(), ProjectOnCloud),
            Command = Command.Trim(),
            Mode = Mode,
            Environment = variables,
            Interpreter = Interpreter.Trim(),
            Requirements = new JobRequirements
            {
                Gpus = Gpus,
                MinFreeMemoryMb = MinFreeMemoryMb,
                MinFreeDiskMb = MinFreeDiskMb,
                Packages = packages,
                DataPaths = [.. Split(DataPaths, '\n')],
            },
            OwnCheckpoint = Mode == JobMode.OwnCheckpoint || CheckpointDir.Trim().Length > 0
                ? new OwnCheckpointSettings(CheckpointDir.Trim(), ResumeArgs.Trim(), Stop, StopSignal.Trim(), CheckpointPattern.Trim())
                : null,
            Progress = ProgressRegex.Trim().Length > 0 || MetricsFile.Trim().Length > 0
                ? new ProgressSource(Blank(ProgressRegex), Blank(MetricsFile))
                : null,
            AllowedClouds = [.. AllowedClouds.Select(c => c.ToString(CultureInfo.InvariantCulture))],
            StopTimeoutSeconds = StopTimeoutSeconds,
        };
        problems.AddRange(JobDefinitionRules.Validate(definition));
        errors = problems;
        return problems.Count == 0 ? definition : null;
    }

    /// <summary>The command as the cloud will run it, secrets masked, whatever the fields hold now.</summary>
    public string Preview() =>
        JobDefinitionRules.Preview(new JobDefinition
        {
            Name = Name,
            Project = new JobProject(ProjectPath, ProjectOnCloud),
            Command = Command,
            Environment = Pairs(Variables, false, []).Concat(Pairs(string.Join('\n', SecretVariables), true, [])).ToList(),
        }, ProjectOnCloud && ProjectPath.Trim().Length > 0 ? ProjectPath.Trim() : "<project folder on the cloud>");

    private static IEnumerable<JobVariable> Pairs(string text, bool secret, List<FieldError> problems)
    {
        var field = secret ? "secretEnv" : "env";
        foreach (var line in Split(text, '\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                // A secret line is never echoed back.
                problems.Add(new FieldError(field, secret ? "each line must be NAME=value" : $"'{line}' is not NAME=value"));
                continue;
            }

            yield return new JobVariable(line[..eq].Trim(), line[(eq + 1)..], secret);
        }
    }

    private static IEnumerable<string> Split(string text, char separator) =>
        text.Replace("\r", "", StringComparison.Ordinal).Split(separator == ',' ? [',', '\n'] : ['\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? Blank(string s) => s.Trim().Length == 0 ? null : s.Trim();
}
