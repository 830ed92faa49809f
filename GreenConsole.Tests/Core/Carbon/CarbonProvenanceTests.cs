using GreenConsole.Core.Carbon;

namespace GreenConsole.Tests.Core.Carbon;

public sealed class CarbonProvenanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Recorded = new(2023, 12, 4, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(DataQuality.Measured, true, "Replayed (2023)")]
    [InlineData(DataQuality.Estimated, true, "Estimated, replayed (2023)")]
    [InlineData(DataQuality.Measured, false, "Measured")]
    [InlineData(DataQuality.Fallback, true, "Fallback")]
    [InlineData(DataQuality.Stale, true, "Stale")]
    public void Only_a_value_observed_for_its_own_hour_is_measured(DataQuality quality, bool replayed, string expected)
    {
        var reading = new CarbonIntensityReading("DE", Now, 300, CarbonSignal.LifeCycle, quality, "trace:electricitymaps-2023") { RecordedAt = replayed ? Recorded : null };

        Assert.Equal(expected, CarbonProvenance.Label(reading));
    }

    [Fact]
    public void A_value_replayed_at_its_own_instant_is_a_measurement()
    {
        var reading = new CarbonIntensityReading("DE", Recorded, 300, CarbonSignal.LifeCycle, DataQuality.Measured, "trace:electricitymaps-2023") { RecordedAt = Recorded };

        Assert.Equal("Measured", CarbonProvenance.Label(reading));
    }

    [Fact]
    public void The_detail_carries_the_note_with_the_original_hour()
    {
        var reading = new CarbonIntensityReading("DE", Now, 300, CarbonSignal.LifeCycle, DataQuality.Measured, "trace:electricitymaps-2023")
        {
            RecordedAt = Recorded,
            Note = "replay of 2023-12-04 10:00 UTC",
        };

        Assert.Equal("trace:electricitymaps-2023 · replay of 2023-12-04 10:00 UTC", CarbonProvenance.Detail(reading));
    }
}
