using System.CommandLine;
using System.Text.Json;
using GreenConsole.Core.Clouds;
using GreenConsole.Web.Clouds;
using GreenConsole.Web.Extensions;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Cli;

/// <summary>
/// <c>import-csv FILE [--dry-run] [--json] [--valid-only]</c>. Exit codes: 0 all rows fine, 1 file-level error
/// (missing, unreadable, not a cloud CSV, bad settings), 2 at least one row rejected.
/// </summary>
internal static class ImportCsvCommand
{
    public const int Ok = 0;
    public const int FileError = 1;
    public const int RowsRejected = 2;

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The cloud CSV (header: " + CloudCsvColumns.RequiredHeaderLine + ")" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and show what would change; store nothing" };
        var json = new Option<bool>("--json") { Description = "One JSON object per row, then a summary object" };
        var validOnly = new Option<bool>("--valid-only") { Description = "Store the valid rows even when some are rejected" };

        var command = new Command("import-csv", "Import or update clouds from a CSV file") { file, dryRun, json, validOnly };
        command.SetAction((parse, ct) => RunAsync(
            configuration, parse.GetValue(file)!, parse.GetValue(dryRun), parse.GetValue(json), parse.GetValue(validOnly), output, error, ct));
        return command;
    }

    private static async Task<int> RunAsync(
        IConfiguration configuration, FileInfo file, bool dryRun, bool json, bool validOnly, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (!file.Exists)
        {
            await error.WriteLineAsync($"import-csv: file not found: {file.FullName}").ConfigureAwait(false);
            return FileError;
        }

        await using var scope = CliServices.Build(configuration, CliModules.CloudRegistry);
        var provider = scope.Services;

        CloudImportReport report;
        try
        {
            await provider.MigrateGreenConsoleDatabaseAsync(ct).ConfigureAwait(false);
            var importer = provider.GetRequiredService<CloudImportService>();
            await using var stream = file.OpenRead();
            report = await importer.ImportAsync(stream, validOnly ? CloudImportMode.ValidRowsOnly : CloudImportMode.AllOrNothing, dryRun, ct).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            await error.WriteLineAsync($"import-csv: invalid settings: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
            return FileError;
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"import-csv: cannot read {file.FullName}: {e.Message}").ConfigureAwait(false);
            return FileError;
        }
        catch (UnauthorizedAccessException e)
        {
            await error.WriteLineAsync($"import-csv: cannot read {file.FullName}: {e.Message}").ConfigureAwait(false);
            return FileError;
        }

        if (json)
        {
            await WriteJsonAsync(report, output).ConfigureAwait(false);
        }
        else
        {
            await WriteTableAsync(report, output).ConfigureAwait(false);
        }

        return report.HasFileErrors ? FileError : report.Rejected > 0 ? RowsRejected : Ok;
    }

    private static async Task WriteJsonAsync(CloudImportReport report, TextWriter output)
    {
        foreach (var issue in report.FileErrors)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { fileError = new { row = issue.Row, field = issue.Field, message = issue.Message } }, Json)).ConfigureAwait(false);
        }

        foreach (var row in report.Rows)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                row = row.RowNumber,
                status = row.Status.ToString().ToLowerInvariant(),
                host = row.Host,
                port = row.Port,
                username = row.Username,
                zone = row.Zone,
                reasons = row.Reasons.Select(r => new { field = r.Field, message = r.Message }),
                warnings = row.Warnings.Select(r => new { field = r.Field, message = r.Message }),
            }, Json)).ConfigureAwait(false);
        }

        await output.WriteLineAsync(JsonSerializer.Serialize(new
        {
            summary = new
            {
                rows = report.Rows.Count,
                created = report.Created,
                updated = report.Updated,
                unchanged = report.Unchanged,
                accepted = report.Accepted,
                rejected = report.Rejected,
                fileErrors = report.FileErrors.Count,
                stored = report.Stored,
                dryRun = report.DryRun,
                mode = report.Mode == CloudImportMode.AllOrNothing ? "all-or-nothing" : "valid-only",
            },
        }, Json)).ConfigureAwait(false);
    }

    private static async Task WriteTableAsync(CloudImportReport report, TextWriter output)
    {
        foreach (var issue in report.FileErrors)
        {
            await output.WriteLineAsync($"error: {issue}").ConfigureAwait(false);
        }

        if (report.Rows.Count > 0)
        {
            var lines = report.Rows.Select(r => new[]
            {
                r.RowNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                r.Status.ToString().ToLowerInvariant(),
                r.Host ?? "-",
                r.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                r.Username ?? "-",
                r.Zone ?? "-",
                string.Join("; ", r.Reasons.Select(x => $"{x.Field ?? "row"}: {x.Message}").Concat(r.Warnings.Select(x => $"warning {x.Field}: {x.Message}"))),
            }).ToList();
            string[] header = ["ROW", "STATUS", "HOST", "PORT", "USER", "ZONE", "REASONS"];
            var widths = Enumerable.Range(0, header.Length - 1)
                .Select(i => Math.Max(header[i].Length, lines.Max(l => l[i].Length)))
                .ToArray();
            string Format(string[] cells) => string.Join("  ", cells.Take(widths.Length).Select((c, i) => c.PadRight(widths[i]))) + "  " + cells[^1];

            await output.WriteLineAsync(Format(header).TrimEnd()).ConfigureAwait(false);
            foreach (var line in lines)
            {
                await output.WriteLineAsync(Format(line).TrimEnd()).ConfigureAwait(false);
            }
        }

        var outcome = report switch
        {
            { HasFileErrors: true } => "nothing stored: the file was refused",
            { DryRun: true } => "dry run: nothing stored",
            { Stored: true } => "stored",
            { Mode: CloudImportMode.AllOrNothing } => "nothing stored: fix the rejected rows, or use --valid-only to store the valid ones",
            _ => "nothing stored: no valid rows",
        };
        await output.WriteLineAsync(
            $"{report.Rows.Count} rows: {report.Created} created, {report.Updated} updated, {report.Unchanged} unchanged, {report.Accepted} accepted, {report.Rejected} rejected; {outcome}.")
            .ConfigureAwait(false);
    }
}
