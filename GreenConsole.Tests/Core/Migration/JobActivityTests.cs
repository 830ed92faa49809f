using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public sealed class JobActivityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Changes as "minute:on|off", the window [0, 60) minutes; stretches as "from-to" in minutes.</summary>
    [Theory]
    [InlineData("", "0-60")]
    // A pause from 10 to 25 and a policy wait from 40 to 50.
    [InlineData("10:off,25:on,40:off,50:on", "0-10,25-40,50-60")]
    // Paused at the end of the window: nothing after the pause is charged.
    [InlineData("30:off", "0-30")]
    // Repeated statuses (Pausing then Paused, Resumed twice) change nothing.
    [InlineData("10:off,12:off,20:on,21:on", "0-10,20-60")]
    // State from before the window: it starts paused and resumes inside it.
    [InlineData("-5:off,15:on", "15-60")]
    // A change after the window is ignored.
    [InlineData("70:off", "0-60")]
    // Off and on at the same instant: no gap, and nothing empty.
    [InlineData("0:off,0:on,30:off,30:on", "0-30,30-60")]
    public void Pauses_and_waits_are_cut_out_of_the_run(string changes, string expected)
    {
        var parsed = changes.Length == 0
            ? []
            : changes.Split(',').Select(c => c.Split(':')).Select(p => new ActivityChange(T0.AddMinutes(int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture)), p[1] == "on")).ToList();

        var stretches = JobActivity.TrainingStretches(T0, T0.AddMinutes(60), parsed);

        Assert.Equal(expected, string.Join(',', stretches.Select(s => $"{(s.From - T0).TotalMinutes:0}-{(s.To - T0).TotalMinutes:0}")));
    }

    [Fact]
    public void An_empty_window_has_no_stretches() =>
        Assert.Empty(JobActivity.TrainingStretches(T0, T0, [new ActivityChange(T0, true)]));
}
