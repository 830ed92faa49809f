using System.Diagnostics;
using System.Net;
using System.Text;
using GreenConsole.Tests.Lab;

namespace GreenConsole.Tests.Browser;

/// <summary>
/// The real GreenConsole web app as its own process on a free loopback port, with a fresh SQLite file, its own SSH
/// data folder and the lab's clouds available for import. Browser tests drive it exactly as a person would.
/// </summary>
public sealed class GreenConsoleServer : IAsyncDisposable
{
    private static class Sys
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int signal);
    }

    public const string AdminUser = "admin";
    public const string AdminPassword = "browser-admin-pass";

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    /// <summary>The app process's CPU time so far (user + system, all threads).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    private GreenConsoleServer(Process process, string baseUrl, string workDir)
    {
        _process = process;
        BaseUrl = baseUrl;
        WorkDir = workDir;
    }

    public string BaseUrl { get; }

    /// <summary>Where server logs are kept after the test (artifacts/browser-logs in the repository).</summary>
    public static string LogDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "gc-browser-logs");

    public string WorkDir { get; }

    public string DatabasePath => Path.Combine(WorkDir, "data", "greenconsole.db");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The app with the lab's clouds imported at start-up, as <c>scripts/run.sh</c> does.</summary>
    public static Task<GreenConsoleServer> StartWithLabAsync(string repoRoot, string labCsvPath) =>
        StartAsync(repoRoot, new Dictionary<string, string> { ["Lab__AutoImport"] = "true", ["Lab__CsvPath"] = labCsvPath });

    public static async Task<GreenConsoleServer> StartAsync(string repoRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        LogDirectory = Path.Combine(repoRoot, "artifacts", "browser-logs");
        var binary = FindWebBinary(repoRoot);
        var workDir = Directory.CreateTempSubdirectory("gc-web-").FullName;
        var port = SshLabFixture.UnusedPort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo(binary)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(baseUrl);
        psi.Environment["Auth__AdminPassword"] = AdminPassword;
        psi.Environment["Lab__AutoImport"] = "false";
        psi.Environment["Health__IntervalSeconds"] = "5";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Circuit start and teardown, so that a page that never turns interactive leaves the server's side of it in the log.
        psi.Environment["Logging__LogLevel__Microsoft.AspNetCore.Components.Server.Circuits"] = "Debug";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {binary}");
        var server = new GreenConsoleServer(process, baseUrl, workDir);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"GreenConsole exited with {process.ExitCode} at start-up:\n{server.Log}");
            }
            try
            {
                if ((await http.GetAsync(baseUrl + "/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"GreenConsole did not answer /healthz within 60 s:\n{server.Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    /// <summary>The web app built next to this test assembly, in the same configuration.</summary>
    private static string FindWebBinary(string repoRoot)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(repoRoot, "GreenConsole.Web", "bin", configuration, "net10.0", "GreenConsole.Web");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the web app first: {path} is missing.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets the host stop gracefully: terminals close, SSH masters exit. Process.Kill would send SIGKILL.
            _ = Sys.kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        // Keep the server's own log next to the screenshots: it is the first thing to read when a browser test fails.
        try
        {
            Directory.CreateDirectory(LogDirectory);
            await File.WriteAllTextAsync(Path.Combine(LogDirectory, $"server-{Path.GetFileName(WorkDir)}.log"), Log);
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // A straggling child may still hold a file; the temp folder is cleaned by the OS later.
        }
    }
}
