using System.Globalization;
using System.Text;
using GreenConsole.Web.Data;
using GreenConsole.Web.Jobs;
using GreenConsole.Web.Reports;

namespace GreenConsole.Tests.Web.Reports;

/// <summary>
/// Names and messages in exports come from users; a spreadsheet must show them as text, never run them. Each hostile
/// value has to come out with a leading apostrophe inside quotes, while plain text and numbers stay as they were.
/// </summary>
public class HostileCsvExportTests
{
    private static readonly DateTimeOffset At = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>The hostile value and the exact cell it must become (RFC 4180 quoting of the defused text).</summary>
    public static TheoryData<string, string> Hostile => new()
    {
        { "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
        { "+1", "\"'+1\"" },
        { "-2+3", "\"'-2+3\"" },
        { "@SUM(A1)", "\"'@SUM(A1)\"" },
        { "\tx", "\"'\tx\"" },
        { "\rx", "\"'\rx\"" },
    };

    private static JobReport Report(string name, string message, double? lastLoss = 0.25) => new(
        new JobSnapshot("job-1", name, JobStatus.Running, 1, 2, "--epochs 1", 10, 100, 1, lastLoss, 12.5, At, null, null, null, null, null),
        "first",
        "current",
        null,
        [],
        [new JobReportEvent(At, "note", null, null, null, message)],
        [],
        At);

    private static CarbonReportRow CarbonRow(string name, double kwh = 2) => new(1, name, "DE", kwh, 3, 0, 4, 60, 0, null);

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_job_report_defuses_hostile_names_and_messages(string hostile, string cell)
    {
        var csv = JobReportBuilder.ToCsv(Report(hostile, hostile));

        Assert.Contains(Environment.NewLine + "job,job-1," + cell + ",Running,", csv, StringComparison.Ordinal);
        Assert.Contains(",note,,,," + cell + Environment.NewLine, csv, StringComparison.Ordinal);
        AssertNoCellIsAFormula(csv);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_fleet_report_defuses_hostile_names(string hostile, string cell)
    {
        var csv = FleetReports.ToCsv(new[] { CarbonRow(hostile) });

        Assert.Equal("1," + cell + ",DE,2,3,0,4,60,0,", Lines(csv)[1]);
        AssertNoCellIsAFormula(csv);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("GPU run a-b", "GPU run a-b")]
    [InlineData("x=1+2", "x=1+2")]
    [InlineData("", "")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    public void Plain_text_is_only_quoted_where_csv_needs_it(string text, string cell)
    {
        Assert.Contains(Environment.NewLine + "job,job-1," + cell + ",Running,", JobReportBuilder.ToCsv(Report(text, text)), StringComparison.Ordinal);
        Assert.Equal("1," + cell + ",DE,2,3,0,4,60,0,", Lines(FleetReports.ToCsv(new[] { CarbonRow(text) }))[1]);
    }

    [Fact]
    public void Negative_numbers_stay_numbers()
    {
        var job = JobReportBuilder.ToCsv(Report("plain", "plain", lastLoss: -1.5));
        Assert.Contains(Environment.NewLine + "job,job-1,plain,Running,first,current,10,100,1,-1.5,12.5,2024-01-02T03:04:05.000Z,,,", job, StringComparison.Ordinal);

        var fleet = FleetReports.ToCsv(new[] { CarbonRow("plain", kwh: -1.5) });
        Assert.Equal("1,plain,DE,-1.5,3,0,4,60,0,", Lines(fleet)[1]);
    }

    [Fact]
    public void Cells_keep_each_writers_date_format_and_invariant_numbers()
    {
        Assert.Equal("", CsvCell.Format(null, "yyyy"));
        Assert.Equal("2024-01-02T03:04:05Z", CsvCell.Format(At, "yyyy-MM-ddTHH:mm:ssZ"));
        Assert.Equal("2024-01-02T03:04:05.000Z", CsvCell.Format(At.ToOffset(TimeSpan.FromHours(9)), "yyyy-MM-ddTHH:mm:ss.fffZ"));
        Assert.Equal("-1.5", CsvCell.Format(-1.5, "yyyy"));
        Assert.Equal("-7", CsvCell.Format(-7L, "yyyy"));
        Assert.Equal("True", CsvCell.Format(true, "yyyy"));
        Assert.Equal("\"'-x\"", CsvCell.Format("-x", "yyyy"));
    }

    private static string[] Lines(string csv) => csv.Split(Environment.NewLine);

    /// <summary>
    /// Splits the whole file into cells as a spreadsheet would (RFC 4180) and checks that no cell starts with a
    /// formula character unless it is a number.
    /// </summary>
    private static void AssertNoCellIsAFormula(string csv)
    {
        foreach (var cell in Cells(csv))
        {
            if (cell.Length == 0 || "=+-@\t\r".IndexOf(cell[0], StringComparison.Ordinal) < 0)
                continue;
            Assert.True(double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"cell {cell} would run as a formula");
        }
    }

    private static IEnumerable<string> Cells(string csv)
    {
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < csv.Length; i++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c != '"')
                    cell.Append(c);
                else if (i + 1 < csv.Length && csv[i + 1] == '"')
                    cell.Append(csv[++i]);
                else
                    quoted = false;
            }
            else if (c == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (c is ',' or '\n')
            {
                yield return cell.ToString();
                cell.Clear();
            }
            else if (c != '\r' || i + 1 >= csv.Length || csv[i + 1] != '\n')
            {
                cell.Append(c);
            }
        }

        yield return cell.ToString();
    }
}
