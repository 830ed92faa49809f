using GreenConsole.Agents.Training.Remote;
using GreenConsole.Core.Jobs;

namespace GreenConsole.Tests.Agents.Training.Remote;

/// <summary>The poll command's output: progress chunk, status JSON, launcher liveness and the file size at status time.</summary>
public sealed class RemoteTrainingPollParseTests
{
    private const string Step1 = """{"step":1,"epoch":0,"batch_in_epoch":1,"loss":0.9,"samples":32,"ts":"2026-11-22T01:34:37Z","event":"step"}""";
    private const string Step2 = """{"step":2,"epoch":0,"batch_in_epoch":2,"loss":0.8,"samples":64,"ts":"2026-11-22T01:34:38Z","event":"step"}""";
    private const string Done = """{"state":"done","stop_requested":false,"done":{"format_version":1,"step":2,"metrics":{},"final_weights_sha256":"abababababababababababababababababababababababababababababababab","checkpoint":null,"ts":"2026-11-22T01:34:39Z"}}""";

    private static string Output(string chunk, string status, string launcher) =>
        chunk + "\n" + RemoteTrainingAgent.StatusMarker + "\n" + status + "\n" + RemoteTrainingAgent.LauncherMarker + " " + launcher + "\n";

    [Theory]
    // Everything up to the end of the file was read: the done status is final.
    [InlineData(2, 0, false)]
    // The file held more than the capped read returned: the done status must wait for the rest.
    [InlineData(2, 4096, true)]
    // An older helper that prints no size: no claim of more.
    [InlineData(2, -1, false)]
    public void Done_is_final_only_when_the_read_reached_the_end_of_the_file(int steps, int extraBytes, bool more)
    {
        var chunk = string.Join('\n', new[] { Step1, Step2 }.Take(steps)) + "\n";
        var read = System.Text.Encoding.UTF8.GetByteCount(chunk);
        var launcher = extraBytes < 0 ? "0" : "0 " + (100 + read + extraBytes);

        var poll = RemoteTrainingAgent.ParsePoll(Output(chunk, Done, launcher), 100, "test");

        Assert.Equal(RemoteJobState.Done, poll.Status.State);
        Assert.Equal([1L, 2L], poll.Lines.Select(l => l.Step));
        Assert.Equal(100 + read, poll.NextOffset);
        Assert.Equal(more, poll.MoreProgress);
        Assert.False(poll.Status.LauncherAlive);
    }

    [Fact]
    public void A_half_written_line_is_left_for_the_next_poll()
    {
        var chunk = Step1 + "\n" + Step2[..20];
        var poll = RemoteTrainingAgent.ParsePoll(Output(chunk, """{"state":"running","stop_requested":false}""", "1 9999"), 0, "test");

        Assert.Equal([1L], poll.Lines.Select(l => l.Step));
        Assert.Equal(Step1.Length + 1, poll.NextOffset);
        Assert.True(poll.Status.LauncherAlive);
        Assert.Equal(RemoteJobState.Running, poll.Status.State);
    }

    [Fact]
    public void A_status_only_poll_never_claims_unread_progress()
    {
        var poll = RemoteTrainingAgent.ParsePoll(Output(string.Empty, Done, "0 5000"), null, "test");

        Assert.Empty(poll.Lines);
        Assert.False(poll.MoreProgress);
    }

    [Fact]
    public void Missing_markers_are_an_error_naming_the_job()
    {
        var e = Assert.Throws<TrainingJobException>(() => RemoteTrainingAgent.ParsePoll("bash: python3: not found\n", 0, "job 'x' on cloud 3"));
        Assert.Contains("job 'x' on cloud 3", e.Message, StringComparison.Ordinal);
    }
}
