using System.Globalization;

namespace GreenConsole.Web.Reports;

/// <summary>
/// One CSV cell as every export writes it. Text comes from users (job names, cloud names, trainer messages) and the
/// file is opened in spreadsheets, so text that a spreadsheet would run as a formula is defused first (OWASP CSV
/// injection guidance), then quoted per RFC 4180.
/// </summary>
internal static class CsvCell
{
    // The leading characters that make Excel, LibreOffice or Sheets read a cell as a formula (or, for tab and carriage
    // return, hide one behind whitespace the spreadsheet strips).
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    private static readonly char[] NeedsQuotes = [',', '"', '\n', '\r'];

    /// <summary>
    /// Null is empty; a date-time is UTC in <paramref name="dateFormat"/>; numbers and other formattable values are
    /// invariant and never defused, so a negative number stays a number; any other value is text.
    /// </summary>
    public static string Format(object? value, string dateFormat)
    {
        ArgumentNullException.ThrowIfNull(dateFormat);
        return value switch
        {
            null => "",
            DateTimeOffset d => d.UtcDateTime.ToString(dateFormat, CultureInfo.InvariantCulture),
            IFormattable f => Quote(f.ToString(null, CultureInfo.InvariantCulture), force: false),
            _ => Text(value.ToString() ?? ""),
        };
    }

    private static string Text(string text)
    {
        if (text.Length > 0 && Array.IndexOf(FormulaStarts, text[0]) >= 0)
        {
            // The apostrophe makes the spreadsheet show the rest as text. Defused cells are always quoted: a leading
            // \r needs it anyway, and one rule is easier to check in a file than two.
            return Quote("'" + text, force: true);
        }

        return Quote(text, force: false);
    }

    private static string Quote(string text, bool force) =>
        force || text.IndexOfAny(NeedsQuotes) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
