using System.Text;
using System.Text.Json;
using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;
using GreenConsole.Core.Jobs.Definitions;
using GreenConsole.Core.Remote;
using Microsoft.Extensions.Options;

namespace GreenConsole.Agents.Training.Preflight;

/// <summary>
/// <see cref="ICloudPreflight"/> in one round trip: the job's own interpreter runs a short stdlib script (given on
/// stdin, its questions as base64 JSON) that imports each package and reads GPUs, free disk and memory, and data paths.
/// </summary>
internal sealed class RemotePreflight(IRemoteShell shell, IOptions<TrainingAgentOptions> options) : ICloudPreflight
{
    internal const string Marker = "@@GC-PREFLIGHT@@";

    private const string Script = """
import base64, importlib, json, os, subprocess, sys
q = json.loads(base64.b64decode(sys.argv[1]).decode("utf-8"))
out = {"python": "%d.%d.%d" % sys.version_info[:3], "packages": {}, "missing": []}
for name in q["packages"]:
    try:
        m = importlib.import_module(name)
        v = getattr(m, "__version__", None)
        if not isinstance(v, str):
            try:
                from importlib import metadata
                v = metadata.version(name)
            except Exception:
                v = "0"
        out["packages"][name] = str(v)[:60]
    except BaseException:
        out["packages"][name] = None
try:
    r = subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=20, text=True)
    out["gpus"] = sum(1 for l in r.stdout.splitlines() if l.startswith("GPU ")) if r.returncode == 0 else 0
except Exception:
    out["gpus"] = 0
st = os.statvfs(os.path.expanduser("~"))
out["disk_free"] = st.f_bavail * st.f_frsize
mem = 0
try:
    with open("/proc/meminfo") as f:
        for l in f:
            if l.startswith("MemAvailable:"):
                mem = int(l.split()[1]) * 1024
except OSError:
    pass
out["mem_free"] = mem
for p in q["paths"]:
    if not os.path.exists(os.path.expanduser(p)):
        out["missing"].append(p)
print("@@GC-PREFLIGHT@@")
print(json.dumps(out))
""";

    public async Task<PreflightFacts> ProbeAsync(SshTarget target, JobDefinition definition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(definition);
        var questions = JsonSerializer.Serialize(new
        {
            packages = definition.Requirements.Packages.Select(p => p.Name).Distinct(StringComparer.Ordinal).ToArray(),
            paths = definition.Requirements.DataPaths,
        });
        var arg = Convert.ToBase64String(Encoding.UTF8.GetBytes(questions));
        // The interpreter passed validation (plain characters only), so it needs no quoting; the script is a quoted here-document.
        var command = definition.Interpreter + " - " + arg + " <<'GC_PREFLIGHT_EOF'\n" + Script + "\nGC_PREFLIGHT_EOF\n";
        var r = await shell.RunAsync(target, command, TimeSpan.FromSeconds(options.Value.CommandTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        var at = r.StandardOutput.LastIndexOf(Marker + "\n", StringComparison.Ordinal);
        if (!r.Succeeded || at < 0)
        {
            var why = r.StandardError.Trim();
            return new PreflightFacts(null, new Dictionary<string, string?>(), 0, 0, 0, [],
                (why.Length > 200 ? why[^200..] : why) is { Length: > 0 } w ? w : $"exit {r.ExitCode}");
        }

        return Parse(r.StandardOutput[(at + Marker.Length + 1)..], definition, target.CloudId);
    }

    /// <summary>The cloud's answer, read defensively: only the questions asked are kept, strings are cut short.</summary>
    internal static PreflightFacts Parse(string json, JobDefinition definition, string cloud)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var asked = definition.Requirements.Packages.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var packages = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (root.TryGetProperty("packages", out var pk) && pk.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in pk.EnumerateObject().Where(p => asked.Contains(p.Name)))
                {
                    packages[p.Name] = p.Value.ValueKind == JsonValueKind.String ? Cut(p.Value.GetString()!) : null;
                }
            }

            var declared = definition.Requirements.DataPaths.ToHashSet(StringComparer.Ordinal);
            var missing = root.TryGetProperty("missing", out var m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(declared.Contains).ToList()
                : [];
            return new PreflightFacts(
                root.TryGetProperty("python", out var py) && py.ValueKind == JsonValueKind.String ? Cut(py.GetString()!) : "?",
                packages,
                (int)Math.Clamp(Number(root, "gpus"), 0, 1024),
                Math.Max(0, Number(root, "disk_free")),
                Math.Max(0, Number(root, "mem_free")),
                missing);
        }
        catch (JsonException e)
        {
            throw new TrainingJobException($"Preflight on cloud {cloud}: the answer is not the expected JSON ({e.Message}).", inner: e);
        }
    }

    private static long Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static string Cut(string s) => s.Length <= 60 ? s : s[..60];
}
