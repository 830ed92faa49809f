using GreenConsole.Agents.Training;

namespace GreenConsole.Tests.Agents.Training;

public sealed class TrainingProtocolParserTests
{
    private const string Sha = "12c4052c3135774435a207e01db7a39e5c39178e74944b8ab02a5a14ec6a9738";

    [Fact]
    public void ProgressLine_StepEvent_ParsesEveryField()
    {
        var p = TrainingProtocolParser.ParseProgressLine(
            """{"step":101,"epoch":2,"batch_in_epoch":6,"loss":0.4646989107131958,"samples":3224,"ts":"2026-11-22T01:34:37.182Z","event":"step","lr":0.04}""");
        Assert.True(p.IsStep);
        Assert.Equal(101, p.Step);
        Assert.Equal(2, p.Epoch);
        Assert.Equal(6, p.BatchInEpoch);
        Assert.Equal(0.4646989107131958, p.Loss);
        Assert.Equal(3224, p.Samples);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 34, 37, 182, TimeSpan.Zero), p.Timestamp);
    }

    [Fact]
    public void ProgressLine_OtherEvents_NeedOnlyEventStepAndTimestamp()
    {
        var p = TrainingProtocolParser.ParseProgressLine(
            """{"event":"checkpoint","ts":"2026-11-22T01:34:29.209Z","step":282,"checkpoint":"step-282","bytes":82259,"seconds":0.0057}""");
        Assert.False(p.IsStep);
        Assert.Equal("checkpoint", p.Event);
        Assert.Equal("step-282", p.Checkpoint);
        Assert.Null(p.Epoch);
    }

    [Fact]
    public void ProgressLine_NullLoss_FromADivergedRun_IsAccepted()
    {
        var p = TrainingProtocolParser.ParseProgressLine(
            """{"step":3,"epoch":0,"batch_in_epoch":2,"loss":null,"samples":96,"ts":"2026-11-22T01:34:37Z","event":"step"}""");
        Assert.Null(p.Loss);
    }

    [Theory]
    [InlineData("""{"epoch":0,"batch_in_epoch":0,"loss":1.0,"samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""", "'step'")]
    [InlineData("""{"step":1,"epoch":"first","batch_in_epoch":0,"loss":1.0,"samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""", "'epoch'")]
    [InlineData("""{"step":1,"epoch":0,"batch_in_epoch":0,"loss":1.0,"samples":32,"ts":"yesterday","event":"step"}""", "'ts'")]
    [InlineData("""{"step":"one","epoch":0,"batch_in_epoch":0,"loss":1.0,"samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""", "'step'")]
    [InlineData("""{"step":1,"epoch":0,"batch_in_epoch":0,"loss":"low","samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""", "'loss'")]
    [InlineData("""{"step":1""", "not valid JSON")]
    [InlineData("""[1,2]""", "JSON object")]
    public void ProgressLine_BadInput_NamesTheField(string line, string expected)
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseProgressLine(line));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(TrainingProtocol.ProgressFile, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgressLog_IgnoresAnUnterminatedLastLine_AndNamesBadLineNumbers()
    {
        const string good = """{"step":1,"epoch":0,"batch_in_epoch":0,"loss":2.3,"samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""";
        var log = TrainingProtocolParser.ParseProgressLog(good + "\n" + good.Replace("\"step\":1", "\"step\":2", StringComparison.Ordinal) + "\n{\"step\":3,\"ep");
        Assert.Equal([1L, 2L], log.Select(p => p.Step));

        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseProgressLog(good + "\n{oops}\n"));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Empty(TrainingProtocolParser.ParseProgressLog(""));
    }

    [Fact]
    public void Stopped_Parses()
    {
        var s = TrainingProtocolParser.ParseStopped(
            """{"checkpoint":"step-100","checkpoint_bytes":73741,"checkpoint_seconds":0.005184,"format_version":1,"reason":"GC_STOP_AT_STEP=100","step":100,"train_seconds":0.143,"ts":"2026-11-22T01:34:34.588Z"}""");
        Assert.Equal(100, s.Step);
        Assert.Equal("step-100", s.Checkpoint);
        Assert.Equal(73741, s.CheckpointBytes);
        Assert.Equal(0.005184, s.CheckpointSeconds);
        Assert.Equal("GC_STOP_AT_STEP=100", s.Reason);
    }

    [Fact]
    public void Stopped_WithoutCheckpoint_IsRejected()
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseStopped(
            """{"format_version":1,"step":100,"ts":"2026-11-22T01:34:34.588Z"}"""));
        Assert.Contains("stopped", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'checkpoint'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Done_ParsesMetricsAndHash()
    {
        var d = TrainingProtocolParser.ParseDone(
            $$"""{"checkpoint":"step-282","final_weights_sha256":"{{Sha}}","format_version":1,"metrics":{"last_loss":null,"test_accuracy":0.95,"samples":9000},"step":282,"ts":"2026-11-22T01:34:29.209Z"}""");
        Assert.Equal(282, d.Step);
        Assert.Equal(Sha, d.FinalWeightsSha256);
        Assert.Equal(0.95, d.Metrics["test_accuracy"]);
        Assert.Equal(9000, d.Metrics["samples"]);
        Assert.False(d.Metrics.ContainsKey("last_loss"));
    }

    [Theory]
    [InlineData("abc", "final_weights_sha256")]
    [InlineData("12C4052C3135774435A207E01DB7A39E5C39178E74944B8AB02A5A14EC6A9738", "final_weights_sha256")]
    public void Done_WithABadHash_IsRejected(string hash, string expected)
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseDone(
            $$"""{"final_weights_sha256":"{{hash}}","format_version":1,"metrics":{},"step":282,"ts":"2026-11-22T01:34:29.209Z"}"""));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Done_FromANewerFormat_IsRejected()
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseDone(
            $$"""{"final_weights_sha256":"{{Sha}}","format_version":2,"metrics":{},"step":282,"ts":"2026-11-22T01:34:29.209Z"}"""));
        Assert.Contains("format_version 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_ParsesFilesAndTotal()
    {
        var m = TrainingProtocolParser.ParseManifest(
            $$"""{"created":"2026-11-22T01:34:34.580Z","files":[{"path":"padding.bin","sha256":"{{Sha}}","size":1048576},{"path":"state.pt","sha256":"{{Sha}}","size":60783}],"format_version":1,"host":"vm","meta":{},"step":100}""");
        Assert.Equal(100, m.Step);
        Assert.Equal(2, m.Files.Count);
        Assert.Equal(1048576 + 60783, m.TotalBytes);
    }

    [Theory]
    [InlineData("../escape", "'path'")]
    [InlineData("/abs", "'path'")]
    public void Manifest_PathOutsideTheCheckpoint_IsRejected(string path, string expected)
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseManifest(
            $$"""{"created":"2026-11-22T01:34:34.580Z","files":[{"path":"{{path}}","sha256":"{{Sha}}","size":1}],"format_version":1,"step":100}"""));
        Assert.Contains("files[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyOutput_ParsesProblems()
    {
        var v = TrainingProtocolParser.ParseVerifyOutput(
            """{"bytes": 73266, "checkpoint": "/x/step-30", "files": 2, "ok": false, "problems": [{"file": "state.pt", "problem": "sha256 mismatch: manifest a, actual b"}], "step": 30}""");
        Assert.False(v.Ok);
        Assert.Equal(30, v.Step);
        Assert.Equal("state.pt", Assert.Single(v.Problems).File);
    }

    [Fact]
    public void StatusOutput_UnknownState_IsRejected()
    {
        var ex = Assert.Throws<TrainingProtocolException>(() => TrainingProtocolParser.ParseStatusOutput(
            """{"state":"sleeping","stop_requested":false}"""));
        Assert.Contains("'state'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Launch_BuildsOnlyTheVariablesItNeeds()
    {
        var env = new TrainingLaunch("/j", "/c").ToEnvironment();
        Assert.Equal(2, env.Count);
        Assert.Equal("/j", env["GC_JOB_DIR"]);
        Assert.Equal("/c", env["GC_CHECKPOINT_DIR"]);

        var full = new TrainingLaunch("/j", "/c", Resume: true, StopAtStep: 7, CheckpointPadBytes: 1_000_000, StepDelayMs: 50).ToEnvironment();
        Assert.Equal("1", full["GC_RESUME"]);
        Assert.Equal("7", full["GC_STOP_AT_STEP"]);
        Assert.Equal("1000000", full["GC_CHECKPOINT_PAD_BYTES"]);
        Assert.Equal("50", full["GC_STEP_DELAY_MS"]);
    }

    [Fact]
    public void Launch_BadValues_NameTheField()
    {
        Assert.Contains("JobDirectory", Assert.Throws<ArgumentException>(() => new TrainingLaunch(" ", "/c").ToEnvironment()).Message, StringComparison.Ordinal);
        Assert.Contains("StopAtStep", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingLaunch("/j", "/c", StopAtStep: 0).ToEnvironment()).Message, StringComparison.Ordinal);
        Assert.Contains("CheckpointPadBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingLaunch("/j", "/c", CheckpointPadBytes: -1).ToEnvironment()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "cleanly")]
    [InlineData(3, "checkpoint")]
    [InlineData(-9, "abnormally")]
    public void ExitCodes_AreDescribed(int code, string expected) =>
        Assert.Contains(expected, TrainingProtocol.DescribeExitCode(code), StringComparison.Ordinal);
}

public sealed class TrainingScriptsTests
{
    [Fact]
    public async Task ShippedFiles_AndEmbeddedCopies_AreIdentical()
    {
        foreach (var name in TrainingScripts.FileNames)
        {
            var onDisk = await File.ReadAllBytesAsync(Path.Combine(TrainingScripts.Directory, name), CancellationToken.None);
            await using var stream = TrainingScripts.OpenEmbedded(name);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, CancellationToken.None);
            Assert.True(onDisk.Length > 1000, $"{name} is only {onDisk.Length} bytes");
            Assert.Equal(onDisk, copy.ToArray());
        }

        Assert.True(File.Exists(TrainingScripts.HelperPath));
        Assert.True(File.Exists(TrainingScripts.ReferenceTrainerPath));
    }

    [Fact]
    public async Task ExtractTo_WritesRunnableScripts()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gc-training-extract-" + Guid.NewGuid().ToString("N"));
        try
        {
            var written = await TrainingScripts.ExtractToAsync(dir, CancellationToken.None);
            Assert.Equal(TrainingScripts.FileNames.Count, written.Count);
            Assert.Contains(written, w => w.EndsWith(TrainingScripts.SupervisorFileName, StringComparison.Ordinal));
            var usage = await TrainingTrainerProcess.RunHelperAsync([Path.Combine(dir, TrainingScripts.HelperFileName)], CancellationToken.None);
            Assert.Equal(TrainingProtocol.ExitConfiguration, usage.ExitCode);
            Assert.Contains("verify", usage.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void OpenEmbedded_UnknownName_IsRejected() =>
        Assert.Contains("not a shipped", Assert.Throws<ArgumentException>(() => TrainingScripts.OpenEmbedded("x.py")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_step_line_of_a_researchers_own_script_needs_only_step_ts_and_event()
    {
        var p = Assert.Single(TrainingProtocolParser.ParseProgressLog("{\"step\":7,\"epoch\":null,\"loss\":0.5,\"ts\":\"2026-11-22T01:34:37.000Z\",\"event\":\"step\"}\n"));
        Assert.Equal(7, p.Step);
        Assert.Null(p.Epoch);
        Assert.Null(p.Samples);
        Assert.Equal(0.5, p.Loss);
    }
}
