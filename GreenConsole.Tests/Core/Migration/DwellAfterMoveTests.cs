using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

/// <summary>The minimum dwell time counts from the last move, never from the job's start.</summary>
public sealed class DwellAfterMoveTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MigrationDecision Decide(bool arrivedByMove, TimeSpan onCloud, bool paused = false) =>
        new MigrationPolicy(new MigrationPolicyOptions { MinimumDwell = TimeSpan.FromHours(1), MinimumNetSavingGrams = 5, HysteresisGPerKwh = 10 })
            .Decide(new MigrationRequest
            {
                Now = Now,
                Job = new MigrationJob
                {
                    JobId = "job-1", CurrentCloudId = "KR", ArrivedOnCurrentAt = Now - onCloud, ArrivedByMove = arrivedByMove,
                    ExpectedRemaining = TimeSpan.FromHours(2), PowerKw = 1, CheckpointBytes = 0, RestartTime = TimeSpan.Zero, IsPaused = paused,
                },
                Clouds =
                [
                    new CloudState { CloudId = "KR", Zone = "KR", IntensityGPerKwh = 443, ThresholdGPerKwh = 400, Pue = 1, Reachable = true },
                    new CloudState { CloudId = "CA-ON", Zone = "CA-ON", IntensityGPerKwh = 40, ThresholdGPerKwh = 100, Pue = 1, Reachable = true },
                ],
            });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(59)]
    public void A_job_that_starts_on_a_dirty_grid_moves_at_its_first_decision(int minutesSinceStart)
    {
        var d = Decide(arrivedByMove: false, TimeSpan.FromMinutes(minutesSinceStart));

        Assert.Equal(MigrationAction.Migrate, d.Action);
        Assert.Equal("CA-ON", d.TargetCloudId);
    }

    [Theory]
    [InlineData(20, false)]
    [InlineData(59, false)]
    [InlineData(60, true)]
    public void After_a_move_the_dwell_time_holds_it(int minutesSinceMove, bool mayMove)
    {
        var d = Decide(arrivedByMove: true, TimeSpan.FromMinutes(minutesSinceMove));

        Assert.Equal(mayMove ? MigrationReason.Migrate : MigrationReason.DwellTimeNotElapsed, d.Reason);
    }
}
