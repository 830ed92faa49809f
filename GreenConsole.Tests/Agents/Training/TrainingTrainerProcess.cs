using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

/// <summary>Result of a finished Python process.</summary>
internal sealed record TrainingProcessResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"exit {ExitCode} after {Elapsed.TotalSeconds:F2}s\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>
/// Runs the shipped Python scripts as real local processes (the same commands the controller
/// runs over SSH), with the protocol's environment variables.
/// </summary>
internal sealed class TrainingTrainerProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(180);

    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly Stopwatch _watch;

    private TrainingTrainerProcess(Process process, Task<string> stdout, Task<string> stderr, Stopwatch watch)
    {
        _process = process;
        _stdout = stdout;
        _stderr = stderr;
        _watch = watch;
    }

    public int Pid => _process.Id;

    public static TrainingTrainerProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(TrainingScripts.DefaultPython)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        // Inherited GC_* variables from the test host would silently change the run.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("GC_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var watch = Stopwatch.StartNew();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        process.StandardInput.Close();
        return new TrainingTrainerProcess(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), watch);
    }

    public static async Task<TrainingProcessResult> RunAsync(
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        await using var p = Start(arguments, environment);
        return await p.WaitAsync(cancellationToken);
    }

    public static Task<TrainingProcessResult> RunTrainerAsync(TrainingLaunch launch, CancellationToken cancellationToken, params string[] extraArgs) =>
        RunAsync([TrainingScripts.ReferenceTrainerPath, .. extraArgs], launch.ToEnvironment(), cancellationToken);

    public static Task<TrainingProcessResult> RunHelperAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(arguments, null, cancellationToken);

    public async Task<TrainingProcessResult> WaitAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(DefaultDeadline);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"python3 (pid {_process.Id}) did not exit within {DefaultDeadline.TotalSeconds}s");
        }

        var stdout = await _stdout;
        var stderr = await _stderr;
        return new TrainingProcessResult(_process.ExitCode, stdout, stderr, _watch.Elapsed);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Sends SIGTERM, as the controller's <c>kill -TERM</c> does remotely.</summary>
    public void Terminate()
    {
        if (SysKill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}

/// <summary>Job/checkpoint directory pair for one incarnation, under a per-test temp root.</summary>
internal sealed class TrainingJobDirs
{
    public TrainingJobDirs(string root, string name)
    {
        JobDir = Path.Combine(root, name, "job");
        CheckpointDir = Path.Combine(root, name, "checkpoints");
    }

    public string JobDir { get; }

    public string CheckpointDir { get; }

    public TrainingLaunch Launch(bool resume = false, long? stopAtStep = null, int stepDelayMs = 0, long padBytes = 0) =>
        new(JobDir, CheckpointDir, resume, stopAtStep, padBytes, stepDelayMs);

    public string ProgressPath => Path.Combine(JobDir, TrainingProtocol.ProgressFile);

    public IReadOnlyList<TrainingProgress> ReadProgress()
    {
        if (!File.Exists(ProgressPath))
        {
            return [];
        }

        using var stream = new FileStream(ProgressPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return TrainingProtocolParser.ParseProgressLog(reader.ReadToEnd());
    }

    public IReadOnlyList<TrainingProgress> ReadSteps() => ReadProgress().Where(p => p.IsStep).ToList();

    public TrainingStopped ReadStopped() => TrainingProtocolParser.ParseStopped(File.ReadAllText(Path.Combine(JobDir, TrainingProtocol.StoppedFile)));

    public TrainingDone ReadDone() => TrainingProtocolParser.ParseDone(File.ReadAllText(Path.Combine(JobDir, TrainingProtocol.DoneFile)));

    public bool HasMarker(string name) => File.Exists(Path.Combine(JobDir, name));

    /// <summary>Simulates moving the job to another cloud: a copy of the checkpoint root in fresh directories.</summary>
    public TrainingJobDirs CopyCheckpointsTo(string root, string name)
    {
        var target = new TrainingJobDirs(root, name);
        CopyDirectory(CheckpointDir, target.CheckpointDir);
        return target;
    }

    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }

    /// <summary>Polls progress.jsonl until a step line reaches <paramref name="step"/>; no fixed sleeps.</summary>
    public async Task<TrainingProgress> WaitForStepAsync(long step, TrainingTrainerProcess process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TrainingTrainerProcess.DefaultDeadline;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reached = ReadSteps().LastOrDefault(p => p.Step >= step);
            if (reached is not null)
            {
                return reached;
            }

            if (process.HasExited)
            {
                var result = await process.WaitAsync(cancellationToken);
                throw new InvalidOperationException($"trainer exited before step {step}: {result}");
            }

            await Task.Delay(10, cancellationToken);
        }

        throw new TimeoutException($"progress did not reach step {step} within {TrainingTrainerProcess.DefaultDeadline.TotalSeconds}s");
    }
}
