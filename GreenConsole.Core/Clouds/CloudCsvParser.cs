using GreenConsole.Core.Remote;
using System.Globalization;
using System.Text;

namespace GreenConsole.Core.Clouds;

/// <summary>
/// Parses and validates the cloud registry CSV. Pure: it reads only the stream or string it is given.
/// </summary>
/// <remarks>
/// Row numbers are line numbers in the file (the header is line 1), taken from the line where a record starts,
/// so an admin can jump straight to the line an error names. Blank lines are skipped but still counted.
/// A country name that is not the catalog's English name is accepted (admins write "대한민국" or "Deutschland");
/// only a name that unambiguously names a different country than the code produces a warning.
/// </remarks>
public static class CloudCsvParser
{
    public const int MaxPasswordLength = 256;
    public const int MaxKeyPathLength = 1024;
    public const int MaxUsernameLength = 64;
    public const int MaxLabelLength = 100;
    public const double MinPue = 1.0;
    public const double MaxPue = 3.0;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<CloudCsvParseResult> ParseAsync(Stream csv, CloudCsvOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(csv);
        options ??= CloudCsvOptions.Default;

        // Read at most one byte past the limit so an oversized upload is refused without buffering all of it.
        var limit = options.MaxBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var toRead = (int)Math.Min(chunk.Length, limit + 1 - buffer.Length);
            if (toRead <= 0)
            {
                return FileError($"the file is larger than the limit of {FormatBytes(limit)}");
            }

            var read = await csv.ReadAsync(chunk.AsMemory(0, toRead), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, read);
        }

        return ParseBytes(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
    }

    public static CloudCsvParseResult ParseBytes(ReadOnlySpan<byte> bytes, CloudCsvOptions? options = null)
    {
        options ??= CloudCsvOptions.Default;
        if (bytes.Length > options.MaxBytes)
        {
            return FileError($"the file is larger than the limit of {FormatBytes(options.MaxBytes)}");
        }

        if (bytes.IndexOf((byte)0) >= 0)
        {
            return FileError("the file is not CSV text: it contains NUL bytes (a binary file, or UTF-16 text; save it as UTF-8 CSV)");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return FileError("the file is not valid UTF-8 text; save it as \"CSV UTF-8\"");
        }

        return Parse(text);
    }

    /// <summary>Parses CSV text. The size limit applies only to the stream and byte entry points.</summary>
    public static CloudCsvParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return FileError($"the file is empty; it needs the header line \"{CloudCsvColumns.RequiredHeaderLine}\" and one row per cloud");
        }

        var (records, readError) = CsvRecordReader.Read(text);
        if (readError is not null)
        {
            return new CloudCsvParseResult([], [readError]);
        }

        if (records.Count == 0)
        {
            return FileError("the file is empty");
        }

        var header = records[0];
        var headerErrors = new List<CsvIssue>();
        var columnIndex = MapHeader(header, headerErrors);
        if (headerErrors.Count > 0)
        {
            return new CloudCsvParseResult([], headerErrors);
        }

        if (records.Count == 1)
        {
            return FileError("the file has a header but no data rows");
        }

        var rows = new List<CloudCsvRow>(records.Count - 1);
        for (var r = 1; r < records.Count; r++)
        {
            rows.Add(ParseRow(records[r], header.Fields.Count, columnIndex));
        }

        MarkDuplicates(rows);
        return new CloudCsvParseResult(rows, []);
    }

    private static Dictionary<string, int> MapHeader(CsvRecord header, List<CsvIssue> errors)
    {
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var unknown = new List<string>();
        for (var i = 0; i < header.Fields.Count; i++)
        {
            var name = header.Fields[i].Trim();
            var known = CloudCsvColumns.All.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
            if (name.Length == 0)
            {
                errors.Add(new CsvIssue(header.Line, null, $"header column {i + 1} has no name"));
            }
            else if (known is null)
            {
                unknown.Add(name);
            }
            else if (!map.TryAdd(known, i))
            {
                errors.Add(new CsvIssue(header.Line, known, $"the header names column \"{known}\" twice"));
            }
        }

        if (map.Count == 0 && errors.Count == 0)
        {
            var found = string.Join(',', header.Fields);
            errors.Add(new CsvIssue(header.Line, null,
                $"the first line is not a cloud CSV header: expected \"{CloudCsvColumns.RequiredHeaderLine}\" but found \"{Printable(found)}\""));
            return map;
        }

        foreach (var name in unknown)
        {
            errors.Add(new CsvIssue(header.Line, name,
                $"unknown column \"{Printable(name)}\"; allowed columns are {string.Join(", ", CloudCsvColumns.All.Select(c => $"\"{c}\""))}"));
        }

        var missing = CloudCsvColumns.Required.Where(c => !map.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            errors.Add(new CsvIssue(header.Line, null,
                $"the header lacks required column(s) {string.Join(", ", missing.Select(c => $"\"{c}\""))}; the first line must be \"{CloudCsvColumns.RequiredHeaderLine}\""));
        }

        return map;
    }

    private static CloudCsvRow ParseRow(CsvRecord record, int headerWidth, Dictionary<string, int> columns)
    {
        var errors = new List<CsvIssue>();
        var warnings = new List<CsvIssue>();
        var row = record.Line;

        string Get(string column) =>
            columns.TryGetValue(column, out var index) && index < record.Fields.Count ? record.Fields[index] : string.Empty;

        CloudCsvRow Result(CloudDefinition? cloud) => new(row, cloud, errors, warnings)
        {
            RawHost = NullIfEmpty(Printable(Get(CloudCsvColumns.Host))),
            RawPort = NullIfEmpty(Printable(Get(CloudCsvColumns.Port))),
            RawUsername = NullIfEmpty(Printable(Get(CloudCsvColumns.Username))),
        };

        if (record.Fields.Count > headerWidth)
        {
            errors.Add(new CsvIssue(row, null,
                $"has {record.Fields.Count} fields but the header has {headerWidth}; quote a value that contains a comma"));
            return Result(null);
        }

        string? Required(string column)
        {
            var value = Get(column);
            if (value.Length == 0)
            {
                errors.Add(new CsvIssue(row, column, "is missing"));
                return null;
            }

            return value;
        }

        // Host
        string? host = null;
        var rawHost = Required(CloudCsvColumns.Host);
        if (rawHost is not null)
        {
            if (HostAddress.TryNormalize(rawHost, out var normalized, out var hostError))
            {
                host = normalized;
            }
            else
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Host, $"\"{Printable(rawHost)}\" {hostError}"));
            }
        }

        // Username
        var username = Required(CloudCsvColumns.Username);
        if (username is not null)
        {
            if (username.Length > MaxUsernameLength)
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Username, $"is longer than {MaxUsernameLength} characters"));
                username = null;
            }
            else if (!SshNames.IsValidUsername(username))
            {
                // The SSH layer applies the same rule; a name it refuses must not be stored and fail every poll.
                errors.Add(new CsvIssue(row, CloudCsvColumns.Username, $"\"{Printable(username)}\" is not a valid user name ({SshNames.UsernameRule})"));
                username = null;
            }
        }

        // Port
        int? port = null;
        var rawPort = Required(CloudCsvColumns.Port);
        if (rawPort is not null)
        {
            if (!int.TryParse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Port, $"\"{Printable(rawPort)}\" is not a whole number"));
            }
            else if (p is < 1 or > 65535)
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Port, $"{p} is outside 1-65535"));
            }
            else
            {
                port = p;
            }
        }

        // Password and key path (never echo the password).
        var password = Get(CloudCsvColumns.Password);
        var passwordOk = true;
        if (password.Length > MaxPasswordLength)
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.Password, $"is longer than {MaxPasswordLength} characters"));
            passwordOk = false;
        }
        else if (password.Any(char.IsControl))
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.Password, "contains a control character (tab, line break, ...)"));
            passwordOk = false;
        }

        var keyPath = Get(CloudCsvColumns.KeyPath);
        var keyPathOk = true;
        if (keyPath.Length > MaxKeyPathLength)
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.KeyPath, $"is longer than {MaxKeyPathLength} characters"));
            keyPathOk = false;
        }
        else if (keyPath.Any(char.IsControl))
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.KeyPath, "contains a control character"));
            keyPathOk = false;
        }

        if (password.Length == 0 && keyPath.Length == 0)
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.Password, $"is missing, and no \"{CloudCsvColumns.KeyPath}\" is given either; a cloud needs a password or a key"));
        }

        // Country
        Country? country = null;
        var rawCode = Required(CloudCsvColumns.CountryCode);
        if (rawCode is not null)
        {
            if (CountryCatalog.TryGet(rawCode, out var found))
            {
                country = found;
            }
            else
            {
                var suggestion = CountryCatalog.SuggestFor(rawCode);
                errors.Add(new CsvIssue(row, CloudCsvColumns.CountryCode,
                    $"\"{Printable(rawCode)}\" is not an ISO 3166-1 alpha-2 country code" + (suggestion is null ? string.Empty : $"; did you mean {suggestion}?")));
            }
        }

        var countryName = Required(CloudCsvColumns.CountryName);
        if (country is not null && countryName is not null)
        {
            var namedCode = CountryCatalog.FindCodeByName(countryName);
            if (namedCode is not null && !string.Equals(namedCode, country.Alpha2, StringComparison.OrdinalIgnoreCase))
            {
                warnings.Add(new CsvIssue(row, CloudCsvColumns.CountryName,
                    $"\"{Printable(countryName)}\" names country {namedCode}, but the country code is {country.Alpha2} ({country.Name}); the code wins"));
            }
        }

        // Zone
        string? zone = null;
        var rawZone = Get(CloudCsvColumns.Zone);
        if (rawZone.Length == 0)
        {
            zone = country is null ? null : CloudZones.DefaultZoneFor(country.Alpha2);
        }
        else
        {
            var normalizedZone = CloudZones.Normalize(rawZone);
            if (!CloudZones.IsValidZoneId(normalizedZone))
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Zone,
                    $"\"{Printable(rawZone)}\" is not a zone id (two-letter country code, optionally followed by parts such as -CAL-CISO)"));
            }
            else
            {
                zone = normalizedZone;
                if (country is not null && !string.Equals(CloudZones.CountryOf(zone), country.Alpha2, StringComparison.Ordinal))
                {
                    warnings.Add(new CsvIssue(row, CloudCsvColumns.Zone, $"zone {zone} is not in country {country.Alpha2}"));
                }
            }
        }

        // Threshold
        double? threshold = null;
        var rawThreshold = Get(CloudCsvColumns.Threshold);
        if (rawThreshold.Length > 0)
        {
            if (!TryParseNumber(rawThreshold, out var t))
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Threshold, $"\"{Printable(rawThreshold)}\" is not a number (gCO2eq/kWh)"));
            }
            else if (t <= 0)
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Threshold, $"{rawThreshold} must be greater than 0 gCO2eq/kWh"));
            }
            else
            {
                threshold = t;
            }
        }

        // PUE
        var pue = 1.0;
        var rawPue = Get(CloudCsvColumns.Pue);
        if (rawPue.Length > 0)
        {
            if (!TryParseNumber(rawPue, out var parsedPue))
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Pue, $"\"{Printable(rawPue)}\" is not a number"));
            }
            else if (parsedPue is < MinPue or > MaxPue)
            {
                errors.Add(new CsvIssue(row, CloudCsvColumns.Pue, $"{rawPue} is outside {MinPue:0.0}-{MaxPue:0.0}"));
            }
            else
            {
                pue = parsedPue;
            }
        }

        // Label
        var label = Get(CloudCsvColumns.Label);
        if (label.Length > MaxLabelLength)
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.Label, $"is longer than {MaxLabelLength} characters"));
        }
        else if (label.Any(char.IsControl))
        {
            errors.Add(new CsvIssue(row, CloudCsvColumns.Label, "contains a control character"));
        }

        if (errors.Count > 0 || host is null || port is null || username is null || country is null || countryName is null || zone is null
            || !passwordOk || !keyPathOk)
        {
            return Result(null);
        }

        var cloud = new CloudDefinition
        {
            Host = host,
            Port = port.Value,
            Username = username,
            Password = password.Length == 0 ? null : password,
            KeyPath = keyPath.Length == 0 ? null : keyPath,
            CountryCode = country.Alpha2,
            CountryName = countryName,
            Zone = zone,
            ThresholdGPerKwh = threshold,
            Pue = pue,
            Label = label.Length == 0 ? null : label,
        };
        return Result(cloud);
    }

    /// <summary>Rows with one host:port:user are all rejected: which one the admin meant cannot be guessed.</summary>
    private static void MarkDuplicates(List<CloudCsvRow> rows)
    {
        var groups = rows
            .Select((r, index) => (Row: r, Index: index))
            .Where(x => x.Row.Cloud is not null)
            .GroupBy(x => x.Row.Cloud!.NaturalKey, StringComparer.Ordinal)
            .Where(g => g.Count() > 1);

        foreach (var group in groups)
        {
            var numbers = group.Select(x => x.Row.RowNumber).ToList();
            foreach (var (row, index) in group)
            {
                var others = string.Join(", ", numbers.Where(n => n != row.RowNumber).Select(n => $"row {n}"));
                var errors = row.Errors.Append(new CsvIssue(row.RowNumber, CloudCsvColumns.Host,
                    $"duplicate cloud {row.Cloud!.Username}@{row.Cloud.Host}:{row.Cloud.Port}: also on {others} (host, port and username must be unique)")).ToList();
                rows[index] = row with { Cloud = null, Errors = errors };
            }
        }
    }

    private static bool TryParseNumber(string value, out double number) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)
        && double.IsFinite(number);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static CloudCsvParseResult FileError(string message) => new([], [new CsvIssue(null, null, message)]);

    private static string FormatBytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} bytes";

    /// <summary>Echoes user input in a message without letting control characters or huge values through.</summary>
    private static string Printable(string value)
    {
        var cleaned = new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return cleaned.Length > 80 ? cleaned[..77] + "..." : cleaned;
    }
}
