namespace GreenConsole.Web.Components.Widgets;

/// <summary>One line (or bar series) of a <see cref="TimeSeriesChart"/>.</summary>
public sealed record ChartSeriesSpec(string Name, bool Dashed = false, bool PointsOnly = false, string? Colour = null);

/// <summary>
/// What a chart draws, in uPlot's column form: <see cref="Data"/>[0] is x (Unix seconds, or category indexes when
/// <see cref="Categories"/> is set) and each further column one series, null where it has no point.
/// </summary>
public sealed record ChartSpec(IReadOnlyList<ChartSeriesSpec> Series, IReadOnlyList<IReadOnlyList<double?>> Data, string Unit, int Height = 260,
    IReadOnlyList<string>? Categories = null, bool XIsTime = true, string? XLabel = null)
{
    public static ChartSpec Empty { get; } = new([], [[]], "");

    public int PointCount => Data.Count == 0 ? 0 : Data[0].Count;

    /// <summary>Aligns series with their own timestamps onto one shared x axis (the union of their instants).</summary>
    public static ChartSpec FromLines(IReadOnlyList<(ChartSeriesSpec Series, IReadOnlyList<(DateTime At, double Value)> Points)> lines, string unit, int height = 260)
    {
        var xs = lines.SelectMany(l => l.Points.Select(p => p.At)).Distinct().Order().ToList();
        var index = xs.Select((x, i) => (x, i)).ToDictionary(t => t.x, t => t.i);
        var data = new List<IReadOnlyList<double?>> { xs.Select(x => (double?)new DateTimeOffset(DateTime.SpecifyKind(x, DateTimeKind.Utc)).ToUnixTimeSeconds()).ToList() };
        foreach (var (_, points) in lines)
        {
            var column = new double?[xs.Count];
            foreach (var (at, value) in points)
            {
                column[index[at]] = double.IsFinite(value) ? value : null;
            }

            data.Add(column);
        }

        return new ChartSpec([.. lines.Select(l => l.Series)], data, unit, height);
    }

    /// <summary>One series over a numeric x (for example loss by step).</summary>
    public static ChartSpec FromXY(ChartSeriesSpec series, IReadOnlyList<(double X, double Y)> points, string unit, string xLabel, int height = 260) =>
        new([series], [points.Select(p => (double?)p.X).ToList(), points.Select(p => double.IsFinite(p.Y) ? (double?)p.Y : null).ToList()], unit, height,
            XIsTime: false, XLabel: xLabel);

    /// <summary>Bars: one value per category for each series.</summary>
    public static ChartSpec FromCategories(IReadOnlyList<string> categories, IReadOnlyList<(ChartSeriesSpec Series, IReadOnlyList<double> Values)> bars, string unit, int height = 260)
    {
        var data = new List<IReadOnlyList<double?>> { categories.Select((_, i) => (double?)i).ToList() };
        data.AddRange(bars.Select(b => (IReadOnlyList<double?>)b.Values.Select(v => (double?)v).ToList()));
        return new ChartSpec([.. bars.Select(b => b.Series)], data, unit, height, categories, XIsTime: false);
    }
}
