using GreenConsole.Core.Migration;

namespace GreenConsole.Tests.Core.Migration;

public class MigrationAccountingTests
{
    private static readonly DateTimeOffset T0 = new(2023, 7, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly IntensityPoint[] FirstCloud =
    [
        new(T0, 400), new(T0.AddHours(1), 300), new(T0.AddHours(2), 200),
    ];

    [Fact]
    public void Hand_computed_job_with_one_migration()
    {
        // A (PUE 1.2) 00:00-01:00, 2 kWh at 400 → 960 g. B (PUE 1.1, 100 g/kWh) 01:00-02:30, 3 kWh → 330 g.
        // Move at 01:00: 6 min downtime, idle 0.5 kW each side: 0.1 × (0.5×1.2 + 0.5×1.1) = 0.115 kWh,
        // 0.1 × (0.5×1.2×300 + 0.5×1.1×100) = 23.5 g.
        // Counterfactual on A: 960 + 1.2 × (2 kWh × 300 + 1 kWh × 200) = 1920 g. Net saving 1920 - 1313.5 = 606.5 g.
        var move = MigrationOverhead.Compute("A", "B", T0.AddHours(1), TimeSpan.FromMinutes(6), 0.5, 1.2, 300, 0.5, 1.1, 100);
        Assert.Equal(0.115, move.Kwh, 9);
        Assert.Equal(23.5, move.Grams, 9);

        var report = MigrationAccounting.Compute("A", 1.2, FirstCloud,
            [
                new RunSegment("A", T0, T0.AddHours(1), 2, 960),
                new RunSegment("B", T0.AddHours(1), T0.AddHours(2.5), 3, 330),
            ],
            [move]);

        Assert.Equal(5, report.ActualRunItKwh, 9);
        Assert.Equal(1290, report.ActualRunGrams, 9);
        Assert.Equal(23.5, report.OverheadGrams, 9);
        Assert.Equal(1313.5, report.ActualTotalGrams, 9);
        Assert.Equal(1920, report.CounterfactualGrams, 9);
        Assert.Equal(606.5, report.NetSavingGrams, 9);
        Assert.Single(report.Migrations);
    }

    [Fact]
    public void A_move_to_a_dirtier_cloud_shows_a_negative_saving()
    {
        // 1 kWh on B at 500 g/kWh (PUE 1) during hour 2, where A would have emitted 1 × 1.0 × 200.
        var move = MigrationOverhead.Compute("A", "B", T0.AddHours(2), TimeSpan.FromMinutes(30), 0.2, 1.0, 200, 0.2, 1.0, 500);
        Assert.Equal(70, move.Grams, 9); // 0.5 × (0.2×200 + 0.2×500)
        var report = MigrationAccounting.Compute("A", 1.0, FirstCloud,
            [new RunSegment("B", T0.AddHours(2), T0.AddHours(3), 1, 500)], [move]);
        Assert.Equal(200, report.CounterfactualGrams, 9);
        Assert.Equal(200 - 570, report.NetSavingGrams, 9);
    }

    [Fact]
    public void Without_moves_the_counterfactual_equals_the_run()
    {
        var report = MigrationAccounting.Compute("A", 1.5, FirstCloud,
            [new RunSegment("A", T0.AddMinutes(30), T0.AddMinutes(90), 2, 1.5 * (1 * 400 + 1 * 300))], []);
        Assert.Equal(report.ActualTotalGrams, report.CounterfactualGrams, 9);
        Assert.Equal(0, report.NetSavingGrams, 9);
    }

    [Theory]
    [InlineData(-30, 400)] // before the first point: the first point
    [InlineData(0, 400)]
    [InlineData(119, 300)]
    [InlineData(600, 200)] // after the last point: persistence
    public void Intensity_lookup(int minutes, double expected) =>
        Assert.Equal(expected, MigrationAccounting.IntensityAt(FirstCloud, T0.AddMinutes(minutes)));

    [Fact]
    public void Bad_segment_names_its_index()
    {
        var ex = Assert.Throws<ArgumentException>(() => MigrationAccounting.Compute("A", 1.0, FirstCloud,
            [new RunSegment("A", T0, T0.AddHours(1), 1, 400), new RunSegment("B", T0.AddHours(2), T0.AddHours(1), 1, 1)], []));
        Assert.Contains("Segment 1", ex.Message);
    }

    [Fact]
    public void Cost_model_downtime_is_transfer_plus_restart()
    {
        Assert.Equal(TimeSpan.FromSeconds(32), MigrationCostModel.Downtime(100_000_000, 50_000_000, TimeSpan.FromSeconds(30)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MigrationCostModel.Downtime(1, 0, TimeSpan.Zero));
    }
}
