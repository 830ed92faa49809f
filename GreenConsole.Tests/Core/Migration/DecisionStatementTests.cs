using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public sealed class DecisionStatementTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly MigrationPolicyOptions Options = new() { MinimumDwell = TimeSpan.FromHours(1), MinimumNetSavingGrams = 5, HysteresisGPerKwh = 10 };

    private static MigrationDecision Decide(TimeSpan onCloud, double here, double there) => new MigrationPolicy(Options).Decide(new MigrationRequest
    {
        Now = Now,
        Job = new MigrationJob
        {
            JobId = "job-1", CurrentCloudId = "1", ArrivedOnCurrentAt = Now - onCloud, ExpectedRemaining = TimeSpan.FromHours(2), PowerKw = 1,
            CheckpointBytes = 0, RestartTime = TimeSpan.Zero,
        },
        Clouds =
        [
            new CloudState { CloudId = "1", Zone = "KR", IntensityGPerKwh = here, ThresholdGPerKwh = 400, Pue = 1, Reachable = true },
            new CloudState { CloudId = "2", Zone = "CA-ON", IntensityGPerKwh = there, ThresholdGPerKwh = 100, Pue = 1, Reachable = true },
        ],
    });

    [Fact]
    public void A_job_held_by_the_dwell_time_is_told_why_and_from_when_it_may_move()
    {
        var d = Decide(TimeSpan.FromMinutes(20), here: 443, there: 40);

        var text = DecisionStatement.Of(d, Options);

        Assert.Equal(MigrationReason.DwellTimeNotElapsed, d.Reason);
        Assert.Equal("Staying although the grid is dirty (443 g/kWh against its threshold of 400): the job arrived at 11:40 UTC, and a move is considered only after 60 min on a cloud, from 12:40 UTC.", text);
    }

    [Fact]
    public void A_clean_grid_is_said_plainly()
    {
        var d = Decide(TimeSpan.FromHours(3), here: 300, there: 40);

        Assert.Equal("Staying: this cloud's grid is clean enough (300 g/kWh against its threshold of 400).", DecisionStatement.Of(d, Options));
    }

    [Fact]
    public void A_move_names_its_target()
    {
        var d = Decide(TimeSpan.FromHours(3), here: 600, there: 40);

        Assert.Equal(MigrationReason.Migrate, d.Reason);
        Assert.StartsWith("Moving: Migrate 1 -> 2: ", DecisionStatement.Of(d, Options), StringComparison.Ordinal);
    }
}
