using GreenConsole.Core.Jobs;
using System.Globalization;
using System.Text.Json;

namespace GreenConsole.Agents.Training;

/// <summary>A training file or helper output that does not follow the protocol; the message names source and field.</summary>
internal sealed class TrainingProtocolException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>
/// Parses what the remote side writes: progress.jsonl lines, the stopped/done markers,
/// manifest.json and the JSON printed by the helper's verify/status commands.
/// </summary>
internal static class TrainingProtocolParser
{
    /// <summary>Parses one complete progress.jsonl line; <paramref name="source"/> names it in errors.</summary>
    public static TrainingProgress ParseProgressLine(string line, string source = TrainingProtocol.ProgressFile)
    {
        using var doc = Parse(line, source);
        return ReadProgress(doc.RootElement, source);
    }

    /// <summary>
    /// Parses the whole progress.jsonl content. A final line without a newline may still be being
    /// written and is ignored; a malformed complete line is an error naming its line number.
    /// </summary>
    public static IReadOnlyList<TrainingProgress> ParseProgressLog(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var result = new List<TrainingProgress>();
        var lines = content.Split('\n');
        // The last element is either "" (content ended with '\n') or an unterminated line.
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            result.Add(ParseProgressLine(line, $"{TrainingProtocol.ProgressFile} line {i + 1}"));
        }

        return result;
    }

    public static TrainingStopped ParseStopped(string json)
    {
        const string source = TrainingProtocol.StoppedFile;
        using var doc = Parse(json, source);
        var root = RequireObject(doc.RootElement, source);
        CheckFormatVersion(root, source);
        return new TrainingStopped(
            RequireInt64(root, "step", source),
            RequireString(root, "checkpoint", source),
            OptionalInt64(root, "checkpoint_bytes", source) ?? 0,
            OptionalDouble(root, "checkpoint_seconds", source) ?? 0,
            OptionalString(root, "reason", source),
            RequireTimestamp(root, "ts", source),
            OptionalInt64(root, "lost_steps", source));
    }

    public static TrainingDone ParseDone(string json)
    {
        const string source = TrainingProtocol.DoneFile;
        using var doc = Parse(json, source);
        var root = RequireObject(doc.RootElement, source);
        CheckFormatVersion(root, source);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (root.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in m.EnumerateObject())
            {
                // Non-numeric metrics (null for a non-finite loss) are simply not reported.
                if (p.Value.ValueKind == JsonValueKind.Number)
                {
                    metrics[p.Name] = p.Value.GetDouble();
                }
            }
        }

        var sha = RequireString(root, "final_weights_sha256", source);
        if (!IsSha256(sha))
        {
            throw new TrainingProtocolException($"{source}: field 'final_weights_sha256' is not a SHA-256 hex digest: '{sha}'.");
        }

        return new TrainingDone(
            RequireInt64(root, "step", source),
            sha,
            OptionalString(root, "checkpoint", source),
            metrics,
            RequireTimestamp(root, "ts", source));
    }

    public static TrainingManifest ParseManifest(string json)
    {
        const string source = TrainingProtocol.ManifestFile;
        using var doc = Parse(json, source);
        var root = RequireObject(doc.RootElement, source);
        var version = (int)RequireInt64(root, "format_version", source);
        if (version != TrainingProtocol.FormatVersion)
        {
            throw new TrainingProtocolException($"{source}: format_version {version} is not supported (expected {TrainingProtocol.FormatVersion}).");
        }

        if (!root.TryGetProperty("files", out var filesElement) || filesElement.ValueKind != JsonValueKind.Array)
        {
            throw new TrainingProtocolException($"{source}: field 'files' is missing or not an array.");
        }

        var files = new List<TrainingManifestFile>();
        var index = 0;
        foreach (var entry in filesElement.EnumerateArray())
        {
            var where = $"{source} files[{index++}]";
            var e = RequireObject(entry, where);
            var path = RequireString(e, "path", where);
            if (path.Length == 0 || path.StartsWith('/') || path.Split('/').Contains(".."))
            {
                throw new TrainingProtocolException($"{where}: field 'path' must be a relative path inside the checkpoint, got '{path}'.");
            }

            var sha = RequireString(e, "sha256", where);
            if (!IsSha256(sha))
            {
                throw new TrainingProtocolException($"{where}: field 'sha256' is not a SHA-256 hex digest: '{sha}'.");
            }

            var size = RequireInt64(e, "size", where);
            if (size < 0)
            {
                throw new TrainingProtocolException($"{where}: field 'size' must be >= 0, got {size}.");
            }

            files.Add(new TrainingManifestFile(path, size, sha));
        }

        return new TrainingManifest(version, RequireInt64(root, "step", source), RequireTimestamp(root, "created", source), files);
    }

    public static TrainingVerifyResult ParseVerifyOutput(string json)
    {
        const string source = "verify output";
        using var doc = Parse(json, source);
        var root = RequireObject(doc.RootElement, source);
        var problems = new List<TrainingVerifyProblem>();
        if (root.TryGetProperty("problems", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var p in list.EnumerateArray())
            {
                var where = $"{source} problems[{index++}]";
                var o = RequireObject(p, where);
                var kind = o.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                problems.Add(new TrainingVerifyProblem(RequireString(o, "file", where), RequireString(o, "problem", where), kind == "unsafe"));
            }
        }

        Dictionary<string, string>? hashes = null;
        if (root.TryGetProperty("sha256", out var sha) && sha.ValueKind == JsonValueKind.Object)
        {
            hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in sha.EnumerateObject())
            {
                hashes[f.Name] = f.Value.ValueKind == JsonValueKind.String
                    ? f.Value.GetString()!
                    : throw new TrainingProtocolException($"{source}: sha256.{f.Name} must be a string");
            }
        }

        return new TrainingVerifyResult(
            RequireBoolean(root, "ok", source),
            OptionalInt64(root, "step", source),
            (int)(OptionalInt64(root, "files", source) ?? 0),
            OptionalInt64(root, "bytes", source) ?? 0,
            problems,
            hashes);
    }

    public static TrainingJobStatus ParseStatusOutput(string json)
    {
        const string source = "status output";
        using var doc = Parse(json, source);
        var root = RequireObject(doc.RootElement, source);
        var stateText = RequireString(root, "state", source);
        var state = stateText switch
        {
            "not_started" => TrainingJobState.NotStarted,
            "running" => TrainingJobState.Running,
            "stopped" => TrainingJobState.Stopped,
            "done" => TrainingJobState.Done,
            "exited" => TrainingJobState.Exited,
            _ => throw new TrainingProtocolException($"{source}: field 'state' has unknown value '{stateText}'."),
        };
        TrainingProgress? last = null;
        if (root.TryGetProperty("last_progress", out var lp) && lp.ValueKind == JsonValueKind.Object)
        {
            last = ReadProgress(lp, source + " last_progress");
        }

        string? latestName = null;
        long? latestStep = null;
        if (root.TryGetProperty("latest_checkpoint", out var lc) && lc.ValueKind == JsonValueKind.Object)
        {
            latestName = RequireString(lc, "name", source + " latest_checkpoint");
            latestStep = RequireInt64(lc, "step", source + " latest_checkpoint");
        }

        return new TrainingJobStatus(
            state,
            (int?)OptionalInt64(root, "pid", source),
            OptionalBoolean(root, "alive", source),
            RequireBoolean(root, "stop_requested", source),
            last,
            root.TryGetProperty("stopped", out var s) && s.ValueKind == JsonValueKind.Object ? ParseStopped(s.GetRawText()) : null,
            root.TryGetProperty("done", out var d) && d.ValueKind == JsonValueKind.Object ? ParseDone(d.GetRawText()) : null,
            latestName,
            latestStep,
            root.TryGetProperty("exit", out var x) && x.ValueKind == JsonValueKind.Object ? ReadExit(x, source + " exit") : null,
            OptionalBoolean(root, "suspended", source) ?? false);
    }

    /// <summary>What greenconsole_run.py recorded about a command that failed; the texts are the cloud's, so they are cut short.</summary>
    private static RemoteExit ReadExit(JsonElement x, string source) => new(
        (int)(OptionalInt64(x, "exit_code", source) ?? -1),
        Cut(OptionalString(x, "reason", source) ?? "", 300),
        Cut(OptionalString(x, "stderr_tail", source) ?? "", 4096));

    private static string Cut(string text, int max) => text.Length <= max ? text : text[^max..];

    private static TrainingProgress ReadProgress(JsonElement element, string source)
    {
        var root = RequireObject(element, source);
        var evt = RequireString(root, "event", source);
        var step = RequireInt64(root, "step", source);
        // A researcher's own script reports its step and maybe its loss (read from its stdout): epoch, batch and
        // sample counts are the protocol trainer's extras, never required.
        return new TrainingProgress(
            evt,
            step,
            (int?)OptionalInt64(root, "epoch", source),
            (int?)OptionalInt64(root, "batch_in_epoch", source),
            OptionalDouble(root, "loss", source),
            OptionalInt64(root, "samples", source),
            RequireTimestamp(root, "ts", source),
            OptionalString(root, "checkpoint", source));
    }

    private static JsonDocument Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new TrainingProtocolException($"{source}: not valid JSON ({ex.Message}).", ex);
        }
    }

    private static JsonElement RequireObject(JsonElement element, string source) =>
        element.ValueKind == JsonValueKind.Object
            ? element
            : throw new TrainingProtocolException($"{source}: expected a JSON object, got {element.ValueKind}.");

    private static void CheckFormatVersion(JsonElement root, string source)
    {
        var version = OptionalInt64(root, "format_version", source);
        if (version is { } v && v != TrainingProtocol.FormatVersion)
        {
            throw new TrainingProtocolException($"{source}: format_version {v} is not supported (expected {TrainingProtocol.FormatVersion}).");
        }
    }

    private static bool TryGet(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string RequireString(JsonElement root, string name, string source) =>
        OptionalString(root, name, source) ?? throw Missing(name, source);

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!TryGet(root, name, out var v))
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new TrainingProtocolException($"{source}: field '{name}' must be a string, got {v.ValueKind}.");
    }

    private static long RequireInt64(JsonElement root, string name, string source) =>
        OptionalInt64(root, name, source) ?? throw Missing(name, source);

    private static long? OptionalInt64(JsonElement root, string name, string source)
    {
        if (!TryGet(root, name, out var v))
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)
            ? n
            : throw new TrainingProtocolException($"{source}: field '{name}' must be an integer, got '{v.GetRawText()}'.");
    }

    private static double? OptionalDouble(JsonElement root, string name, string source)
    {
        if (!TryGet(root, name, out var v))
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new TrainingProtocolException($"{source}: field '{name}' must be a number, got '{v.GetRawText()}'.");
    }

    private static bool RequireBoolean(JsonElement root, string name, string source) =>
        OptionalBoolean(root, name, source) ?? throw Missing(name, source);

    private static bool? OptionalBoolean(JsonElement root, string name, string source)
    {
        if (!TryGet(root, name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TrainingProtocolException($"{source}: field '{name}' must be true or false, got '{v.GetRawText()}'."),
        };
    }

    private static DateTimeOffset RequireTimestamp(JsonElement root, string name, string source)
    {
        var text = RequireString(root, name, source);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var ts)
            ? ts
            : throw new TrainingProtocolException($"{source}: field '{name}' is not an ISO-8601 timestamp: '{text}'.");
    }

    private static TrainingProtocolException Missing(string name, string source) =>
        new($"{source}: required field '{name}' is missing or null.");

    private static bool IsSha256(string value) =>
        value.Length == 64 && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
