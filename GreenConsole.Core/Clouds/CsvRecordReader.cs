using System.Text;

namespace GreenConsole.Core.Clouds;

/// <summary>A CSV record: its fields (trimmed) and the 1-based line on which it starts.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// RFC 4180 reader with the leniency admins' files need: CR, LF or CRLF line ends, blanks around fields and
/// around quoted fields, and quoted fields that hold commas, doubled quotes and line breaks. Blank lines are skipped.
/// </summary>
public static class CsvRecordReader
{
    public static (List<CsvRecord> Records, CsvIssue? Error) Read(string text)
    {
        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;

        while (i <= text.Length)
        {
            // At the start of a field.
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
            {
                i++;
            }

            if (i < text.Length && text[i] == '"')
            {
                var quoteLine = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        return (records, new CsvIssue(quoteLine, null, "a quoted field is never closed (missing '\"')"));
                    }

                    var c = text[i];
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (c == '\n' || (c == '\r' && !(i + 1 < text.Length && text[i + 1] == '\n')))
                    {
                        line++;
                    }

                    field.Append(c);
                    i++;
                }

                while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
                {
                    i++;
                }

                if (i < text.Length && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
                {
                    return (records, new CsvIssue(line, null, $"unexpected character '{text[i]}' after a closing quote; double a quote inside a quoted field (\"\")"));
                }

                fields.Add(field.ToString());
            }
            else
            {
                while (i < text.Length && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
                {
                    field.Append(text[i]);
                    i++;
                }

                fields.Add(field.ToString().Trim());
            }

            field.Clear();

            if (i < text.Length && text[i] == ',')
            {
                i++;
                continue;
            }

            // End of record: newline or end of text.
            if (!(fields.Count == 1 && fields[0].Length == 0))
            {
                records.Add(new CsvRecord(recordLine, fields.ToArray()));
            }

            fields.Clear();
            if (i >= text.Length)
            {
                break;
            }

            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }

            i++;
            line++;
            recordLine = line;
        }

        return (records, null);
    }
}
