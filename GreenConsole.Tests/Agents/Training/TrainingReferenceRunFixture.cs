using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>
/// One uninterrupted run of the reference trainer (default configuration), shared by the resume
/// tests: its final weight hash is the value every stopped-and-resumed run must reproduce.
/// </summary>
public sealed class TrainingReferenceRunFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "gc-training-tests-" + Guid.NewGuid().ToString("N"));

    internal TrainingJobDirs Reference { get; private set; } = null!;

    internal TrainingDone Done { get; private set; } = null!;

    internal TrainingProcessResult Result { get; private set; } = null!;

    public string FinalHash => Done.FinalWeightsSha256;

    public long TotalSteps => Done.Step;

    public async Task InitializeAsync()
    {
        Reference = new TrainingJobDirs(Root, "reference");
        Result = await TrainingTrainerProcess.RunTrainerAsync(Reference.Launch(), CancellationToken.None);
        if (Result.ExitCode != 0)
        {
            throw new InvalidOperationException("reference run failed: " + Result);
        }

        Done = Reference.ReadDone();
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        return Task.CompletedTask;
    }
}
