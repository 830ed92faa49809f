namespace GreenConsole.Agents.Training;

/// <summary>
/// The Python side of the training protocol as shipped with GreenConsole: copied next to the
/// application under Training/python and embedded in the Agents assembly, so the controller
/// can upload it to a cloud even when only the assembly is at hand.
/// </summary>
internal static class TrainingScripts
{
    public const string HelperFileName = "greenconsole_train.py";
    public const string ReferenceTrainerFileName = "reference_trainer.py";

    /// <summary>Runs a researcher's own command and speaks the protocol for it (docs/own-training.md).</summary>
    public const string SupervisorFileName = "greenconsole_run.py";

    /// <summary>The PyTorch side of protocol mode: one object that saves and restores a plain training loop.</summary>
    public const string TorchAdapterFileName = "greenconsole_torch.py";

    /// <summary>The interpreter the project is verified with (Debian's, which has torch and scikit-learn).</summary>
    public const string DefaultPython = "/usr/bin/python3";

    private const string ResourcePrefix = "GreenConsole.Agents.Training.python.";

    public static IReadOnlyList<string> FileNames { get; } = [HelperFileName, ReferenceTrainerFileName, SupervisorFileName, TorchAdapterFileName];

    /// <summary>The folder holding the copied scripts in the running application's output.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Training", "python");

    public static string HelperPath => Path.Combine(Directory, HelperFileName);

    public static string ReferenceTrainerPath => Path.Combine(Directory, ReferenceTrainerFileName);

    /// <summary>Opens the embedded copy of one of <see cref="FileNames"/>.</summary>
    public static Stream OpenEmbedded(string fileName)
    {
        if (!FileNames.Contains(fileName, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"'{fileName}' is not a shipped training script; expected one of: {string.Join(", ", FileNames)}.",
                nameof(fileName));
        }

        return typeof(TrainingScripts).Assembly.GetManifestResourceStream(ResourcePrefix + fileName)
            ?? throw new InvalidOperationException($"Embedded training script '{fileName}' is missing from {typeof(TrainingScripts).Assembly.GetName().Name}.");
    }

    /// <summary>Writes every shipped script into <paramref name="directory"/> (e.g. a staging folder before SCP).</summary>
    public static async Task<IReadOnlyList<string>> ExtractToAsync(string directory, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(directory);
        var written = new List<string>(FileNames.Count);
        foreach (var name in FileNames)
        {
            var target = Path.Combine(directory, name);
            await using (var source = OpenEmbedded(name))
            await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await source.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            written.Add(target);
        }

        return written;
    }

    /// <summary>Arguments (after the interpreter) that verify a checkpoint directory against its manifest.</summary>
    public static IReadOnlyList<string> VerifyArguments(string helperPath, string checkpointDirectory) =>
        [helperPath, "verify", checkpointDirectory];

    /// <summary>Arguments (after the interpreter) that print a JSON summary of a job directory.</summary>
    public static IReadOnlyList<string> StatusArguments(string helperPath, string jobDirectory) =>
        [helperPath, "status", jobDirectory];

    /// <summary>Arguments (after the interpreter) that print the latest verified checkpoint of a checkpoint root.</summary>
    public static IReadOnlyList<string> LatestArguments(string helperPath, string checkpointRoot) =>
        [helperPath, "latest", checkpointRoot];
}
