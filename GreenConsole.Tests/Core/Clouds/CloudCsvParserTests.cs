using System.Text;
using GreenConsole.Core.Clouds;

namespace GreenConsole.Tests.Core.Clouds;

public sealed class CloudCsvParserTests
{
    private const string Header = "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name";

    private static CloudCsvParseResult ParseLines(params string[] lines) => CloudCsvParser.Parse(string.Join("\n", lines) + "\n");

    private static CloudCsvRow SingleRow(string row, string header = Header)
    {
        var result = ParseLines(header, row);
        Assert.Empty(result.FileErrors);
        return Assert.Single(result.Rows);
    }

    private static CsvIssue SingleError(string row, string header = Header)
    {
        var parsed = SingleRow(row, header);
        Assert.Null(parsed.Cloud);
        return Assert.Single(parsed.Errors);
    }

    [Fact]
    public void Parses_a_seed_format_row()
    {
        var row = SingleRow("203.0.113.10,root,change-me-1,22,DE,Germany");

        Assert.True(row.IsValid);
        Assert.Equal(2, row.RowNumber);
        var cloud = row.Cloud!;
        Assert.Equal("203.0.113.10", cloud.Host);
        Assert.Equal(22, cloud.Port);
        Assert.Equal("root", cloud.Username);
        Assert.Equal("change-me-1", cloud.Password);
        Assert.Equal("DE", cloud.CountryCode);
        Assert.Equal("Germany", cloud.CountryName);
        Assert.Equal("DE", cloud.Zone);
        Assert.Equal(1.0, cloud.Pue);
        Assert.Null(cloud.ThresholdGPerKwh);
        Assert.Null(cloud.KeyPath);
        Assert.Empty(row.Warnings);
    }

    [Theory]
    [InlineData("\uFEFF", "\r\n")]
    [InlineData("\uFEFF", "\n")]
    [InlineData("", "\r\n")]
    [InlineData("", "\r")]
    public void Tolerates_bom_and_any_line_end(string bom, string newline)
    {
        var text = bom + Header + newline + "203.0.113.10,root,pw,22,KR,\"대한민국\"" + newline + "198.51.100.7,admin,pw2,2222,US,United States" + newline;

        var result = CloudCsvParser.Parse(text);

        Assert.False(result.HasErrors, string.Join("; ", result.AllErrors));
        Assert.Equal([2, 3], result.Rows.Select(r => r.RowNumber));
        Assert.Equal("대한민국", result.Rows[0].Cloud!.CountryName);
    }

    [Fact]
    public void Reads_bytes_with_utf8_bom()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Header + "\r\n203.0.113.10,root,pw,22,KR,\"대한민국\"\r\n")).ToArray();

        var result = CloudCsvParser.ParseBytes(bytes);

        Assert.False(result.HasErrors);
        Assert.Equal("대한민국", result.Rows[0].Cloud!.CountryName);
    }

    [Theory]
    [InlineData("\"p,ass\"", "p,ass")]
    [InlineData("\"say \"\"hi\"\"\"", "say \"hi\"")]
    [InlineData("\"비밀번호\"", "비밀번호")]
    [InlineData("  \"  spaced  \"  ", "  spaced  ")]
    [InlineData("  plain  ", "plain")]
    public void Quoted_and_blank_padded_passwords(string field, string expected)
    {
        var row = SingleRow($"203.0.113.10,root,{field},22,DE,Germany");

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        Assert.Equal(expected, row.Cloud!.Password);
    }

    [Fact]
    public void Trims_blanks_around_every_field_and_header_names()
    {
        var row = SingleRow("  203.0.113.10 , root ,pw,  22 , de , Germany ", " IP Address of Cloud Server , username,Password ,PORT, Country Code,Country Name ");

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        Assert.Equal(("203.0.113.10", "root", 22, "DE", "Germany"), (row.Cloud!.Host, row.Cloud.Username, row.Cloud.Port, row.Cloud.CountryCode, row.Cloud.CountryName));
    }

    [Theory]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("[2001:DB8:0:0::10]", "2001:db8::10")]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("gpu-1.example.com", "gpu-1.example.com")]
    [InlineData("GPU-1.Example.COM.", "gpu-1.example.com")]
    [InlineData("localhost", "localhost")]
    public void Accepts_ip_addresses_and_host_names(string host, string expected)
    {
        var row = SingleRow($"\"{host}\",root,pw,22,DE,Germany");

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        Assert.Equal(expected, row.Cloud!.Host);
    }

    [Theory]
    [InlineData("256.1.1.1", "IPv4")]
    [InlineData("10.1", "IPv4")]
    [InlineData("2001:db8:::1", "IPv6")]
    [InlineData("203.0.113.10:22", "IPv6")]
    [InlineData("fe80::1%eth0", "scope")]
    [InlineData("[203.0.113.10]", "brackets")]
    [InlineData("[::1", "brackets")]
    [InlineData("-bad.example.com", "host name")]
    [InlineData("under_score.example.com", "host name")]
    [InlineData("space host", "host name")]
    [InlineData("호스트.example", "host name")]
    public void Rejects_bad_hosts(string host, string expectedWords)
    {
        var error = SingleError($"\"{host}\",root,pw,22,DE,Germany");

        Assert.Equal(2, error.Row);
        Assert.Equal(CloudCsvColumns.Host, error.Field);
        Assert.Contains(expectedWords, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Host_name_longer_than_253_is_rejected()
    {
        var host = string.Join('.', Enumerable.Repeat(new string('a', 63), 5));

        var error = SingleError($"{host},root,pw,22,DE,Germany");

        Assert.Equal(CloudCsvColumns.Host, error.Field);
    }

    [Theory]
    [InlineData(",root,pw,22,DE,Germany", CloudCsvColumns.Host)]
    [InlineData("203.0.113.10,,pw,22,DE,Germany", CloudCsvColumns.Username)]
    [InlineData("203.0.113.10,root,pw,,DE,Germany", CloudCsvColumns.Port)]
    [InlineData("203.0.113.10,root,pw,22,,Germany", CloudCsvColumns.CountryCode)]
    [InlineData("203.0.113.10,root,pw,22,DE,", CloudCsvColumns.CountryName)]
    [InlineData("203.0.113.10,root,pw,22,DE", CloudCsvColumns.CountryName)]
    [InlineData("203.0.113.10,root,pw,22", CloudCsvColumns.CountryCode)]
    public void Missing_fields_are_named(string row, string field)
    {
        var parsed = SingleRow(row);

        Assert.Null(parsed.Cloud);
        var error = Assert.Single(parsed.Errors, e => e.Field == field);
        Assert.Equal(2, error.Row);
        Assert.Equal("is missing", error.Message);
    }

    [Theory]
    [InlineData("abc", "not a whole number")]
    [InlineData("22.5", "not a whole number")]
    [InlineData("-1", "not a whole number")]
    [InlineData("0", "outside 1-65535")]
    [InlineData("65536", "outside 1-65535")]
    [InlineData("99999999999", "not a whole number")]
    public void Bad_ports(string port, string expected)
    {
        var error = SingleError($"203.0.113.10,root,pw,{port},DE,Germany");

        Assert.Equal(CloudCsvColumns.Port, error.Field);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("65535")]
    public void Port_bounds_are_inclusive(string port)
    {
        Assert.True(SingleRow($"203.0.113.10,root,pw,{port},DE,Germany").IsValid);
    }

    [Theory]
    [InlineData("XX", null)]
    [InlineData("DEU", null)]
    [InlineData("UK", "GB")]
    [InlineData("EL", "GR")]
    public void Unknown_country_codes(string code, string? suggestion)
    {
        var error = SingleError($"203.0.113.10,root,pw,22,{code},Somewhere");

        Assert.Equal(CloudCsvColumns.CountryCode, error.Field);
        Assert.Contains("ISO 3166-1", error.Message, StringComparison.Ordinal);
        if (suggestion is not null)
        {
            Assert.Contains($"did you mean {suggestion}", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Duplicate_host_port_user_rejects_both_rows_and_names_each_other()
    {
        var result = ParseLines(Header,
            "203.0.113.10,root,pw,22,DE,Germany",
            "198.51.100.7,root,pw,22,DE,Germany",
            "[2001:db8::10],root,pw,22,DE,Germany",
            "203.0.113.10,root,other,22,FR,France",
            "2001:DB8:0::10,root,pw,22,DE,Germany",
            "203.0.113.10,admin,pw,22,DE,Germany");

        Assert.True(result.HasErrors);
        var byRow = result.Rows.ToDictionary(r => r.RowNumber);
        Assert.Contains("also on row 5", Assert.Single(byRow[2].Errors).Message, StringComparison.Ordinal);
        Assert.Contains("also on row 2", Assert.Single(byRow[5].Errors).Message, StringComparison.Ordinal);
        Assert.Contains("also on row 6", Assert.Single(byRow[4].Errors).Message, StringComparison.Ordinal);
        Assert.Contains("also on row 4", Assert.Single(byRow[6].Errors).Message, StringComparison.Ordinal);
        Assert.True(byRow[3].IsValid);
        Assert.True(byRow[7].IsValid);
    }

    [Fact]
    public void Password_longer_than_256_is_rejected_without_echoing_it()
    {
        var password = "Secret" + new string('x', 251);

        var error = SingleError($"203.0.113.10,root,{password},22,DE,Germany");

        Assert.Equal(CloudCsvColumns.Password, error.Field);
        Assert.Contains("256", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Password_of_exactly_256_is_accepted()
    {
        Assert.True(SingleRow($"203.0.113.10,root,{new string('p', 256)},22,DE,Germany").IsValid);
    }

    [Theory]
    [InlineData("\"Secret\tTab\"")]
    [InlineData("\"Secret\nNewline\"")]
    [InlineData("Secret\u0007Bell")]
    public void Password_with_control_characters_is_rejected_without_echoing_it(string field)
    {
        var error = SingleError($"203.0.113.10,root,{field},22,DE,Germany");

        Assert.Equal(CloudCsvColumns.Password, error.Field);
        Assert.Contains("control character", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Neither_password_nor_key_is_an_error()
    {
        var error = SingleError("203.0.113.10,root,,22,DE,Germany");

        Assert.Equal(CloudCsvColumns.Password, error.Field);
        Assert.Contains("password or a key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_path_without_password_is_valid()
    {
        var row = SingleRow("203.0.113.10,root,,22,DE,Germany,/keys/id_ed25519", Header + ",Key Path");

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        Assert.Null(row.Cloud!.Password);
        Assert.Equal("/keys/id_ed25519", row.Cloud.KeyPath);
    }

    [Theory]
    [InlineData("DE", "DE", 0)]
    [InlineData("US", "US", 0)]
    [InlineData("KR", "KR", 0)]
    public void Default_zone_is_the_country_code(string code, string zone, int warnings)
    {
        var row = SingleRow($"203.0.113.10,root,pw,22,{code},Name");

        Assert.Equal(zone, row.Cloud!.Zone);
        Assert.Equal(zone, CloudZones.DefaultZoneFor(code.ToLowerInvariant()));
        Assert.Equal(warnings, row.Warnings.Count);
    }

    [Theory]
    [InlineData("us-cal-ciso", "US-CAL-CISO")]
    [InlineData("JP-TK", "JP-TK")]
    [InlineData("US-MIDA-PJM", "US-MIDA-PJM")]
    [InlineData("ES-CN-LZ", "ES-CN-LZ")]
    public void Explicit_zones_are_normalised(string zone, string expected)
    {
        var country = expected[..2];
        var row = SingleRow($"203.0.113.10,root,pw,22,{country},Name,{zone}", Header + ",Zone");

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        Assert.Equal(expected, row.Cloud!.Zone);
        Assert.Empty(row.Warnings);
    }

    [Theory]
    [InlineData("D")]
    [InlineData("DEU")]
    [InlineData("US_CAL")]
    [InlineData("US-")]
    [InlineData("US-CAL-CISO-A-B")]
    [InlineData("1E")]
    [InlineData("US CAL")]
    public void Malformed_zones_are_rejected(string zone)
    {
        var error = SingleError($"203.0.113.10,root,pw,22,US,United States,{zone}", Header + ",Zone");

        Assert.Equal(CloudCsvColumns.Zone, error.Field);
        Assert.Contains("zone id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zone_in_another_country_is_a_warning()
    {
        var row = SingleRow("203.0.113.10,root,pw,22,DE,Germany,FR", Header + ",Zone");

        Assert.True(row.IsValid);
        Assert.Equal(CloudCsvColumns.Zone, Assert.Single(row.Warnings).Field);
    }

    [Theory]
    [InlineData("KR", "대한민국", false)]
    [InlineData("KR", "South Korea", false)]
    [InlineData("KR", "Korea, Republic of", false)]
    [InlineData("DE", "Deutschland", false)]
    [InlineData("DE", "France", true)]
    [InlineData("US", "Germany", true)]
    [InlineData("CG", "Congo", false)]
    public void Country_name_mismatch_is_only_a_warning(string code, string name, bool warns)
    {
        var row = SingleRow($"203.0.113.10,root,pw,22,{code},\"{name}\"");

        Assert.True(row.IsValid);
        Assert.Equal(name, row.Cloud!.CountryName);
        Assert.Equal(warns, row.Warnings.Any(w => w.Field == CloudCsvColumns.CountryName));
    }

    [Theory]
    [InlineData("350", 350.0)]
    [InlineData("0.5", 0.5)]
    [InlineData("", null)]
    public void Threshold_values(string threshold, double? expected)
    {
        var row = SingleRow($"203.0.113.10,root,pw,22,DE,Germany,{threshold}", Header + ",Threshold");

        Assert.True(row.IsValid);
        Assert.Equal(expected, row.Cloud!.ThresholdGPerKwh);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("\"3,5\"")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Bad_thresholds(string threshold)
    {
        var error = SingleError($"203.0.113.10,root,pw,22,DE,Germany,{threshold}", Header + ",Threshold");

        Assert.Equal(CloudCsvColumns.Threshold, error.Field);
    }

    [Theory]
    [InlineData("1.0", 1.0)]
    [InlineData("1.58", 1.58)]
    [InlineData("3", 3.0)]
    public void Pue_in_range(string pue, double expected)
    {
        var row = SingleRow($"203.0.113.10,root,pw,22,DE,Germany,{pue}", Header + ",PUE");

        Assert.Equal(expected, row.Cloud!.Pue);
    }

    [Theory]
    [InlineData("0.99")]
    [InlineData("3.01")]
    [InlineData("high")]
    public void Pue_out_of_range(string pue)
    {
        var error = SingleError($"203.0.113.10,root,pw,22,DE,Germany,{pue}", Header + ",PUE");

        Assert.Equal(CloudCsvColumns.Pue, error.Field);
    }

    [Fact]
    public void Optional_columns_in_any_order_with_label()
    {
        var header = "Label,PUE,Country Name,Country Code,Port,Password,Username,IP Address of Cloud Server,Key Path,Threshold,Zone";

        var row = SingleRow("\"Seoul A100, rack 3\",1.2,\"대한민국\",KR,22,pw,root,203.0.113.10,/k/id,300,kr", header);

        Assert.True(row.IsValid, string.Join("; ", row.Errors));
        var cloud = row.Cloud!;
        Assert.Equal(("Seoul A100, rack 3", 1.2, "KR", "/k/id", 300.0), (cloud.Label, cloud.Pue, cloud.Zone, cloud.KeyPath, cloud.ThresholdGPerKwh));
    }

    [Fact]
    public void Label_too_long_is_rejected()
    {
        var error = SingleError($"203.0.113.10,root,pw,22,DE,Germany,{new string('l', 101)}", Header + ",Label");

        Assert.Equal(CloudCsvColumns.Label, error.Field);
    }

    [Theory]
    [InlineData("-oProxyCommand=x")]
    [InlineData("user name")]
    [InlineData("root@host")]
    public void Bad_usernames(string user)
    {
        var error = SingleError($"203.0.113.10,\"{user}\",pw,22,DE,Germany");

        Assert.Equal(CloudCsvColumns.Username, error.Field);
    }

    [Fact]
    public void Every_error_in_a_row_is_reported_at_once()
    {
        var row = SingleRow("999.1.1.1,,,0,ZZ,Nowhere");

        Assert.Equal(
            new[] { CloudCsvColumns.Host, CloudCsvColumns.Username, CloudCsvColumns.Port, CloudCsvColumns.Password, CloudCsvColumns.CountryCode }.Order(),
            row.Errors.Select(e => e.Field!).Order());
        Assert.All(row.Errors, e => Assert.Equal(2, e.Row));
    }

    [Fact]
    public void Row_numbers_are_file_line_numbers_counting_the_header_and_blank_lines()
    {
        var result = CloudCsvParser.Parse(Header + "\n\n203.0.113.10,root,pw,22,DE,Germany\n\n\n198.51.100.7,root,\"multi\nline\",abc,DE,Germany\n203.0.113.11,root,pw,22,DE,Germany\n");

        Assert.Equal([3, 6, 8], result.Rows.Select(r => r.RowNumber));
        Assert.Equal(6, result.Rows[1].Errors.Single(e => e.Field == CloudCsvColumns.Port).Row);
    }

    [Fact]
    public void Too_many_fields_is_a_row_error()
    {
        var error = SingleError("203.0.113.10,root,p,w,22,DE,Germany");

        Assert.Contains("7 fields but the header has 6", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \r\n\r\n  ", "empty")]
    [InlineData("\uFEFF", "empty")]
    public void Empty_files(string text, string expected)
    {
        var result = CloudCsvParser.Parse(text);

        Assert.True(result.HasErrors);
        Assert.Contains(expected, Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
        Assert.Null(result.FileErrors[0].Row);
    }

    [Fact]
    public void Header_without_rows_is_a_file_error()
    {
        var result = CloudCsvParser.Parse(Header + "\r\n");

        Assert.Contains("no data rows", Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_extra_column_is_named()
    {
        var result = ParseLines(Header + ",Region,GPU", "203.0.113.10,root,pw,22,DE,Germany,eu,A100");

        Assert.Empty(result.Rows);
        Assert.Equal(["Region", "GPU"], result.FileErrors.Select(e => e.Field));
        Assert.All(result.FileErrors, e => Assert.Contains("unknown column", e.Message, StringComparison.Ordinal));
        Assert.Contains("\"Region\"", result.FileErrors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IP Address of Cloud Server,Username,Password,Port,Country Code", "\"Country Name\"")]
    [InlineData("IP Address,Username,Password,Port,Country Code,Country Name", "\"IP Address of Cloud Server\"")]
    public void Wrong_header_names_what_is_missing(string header, string missing)
    {
        var result = ParseLines(header, "203.0.113.10,root,pw,22,DE");

        Assert.Contains(result.FileErrors, e => e.Message.Contains("lacks required column", StringComparison.Ordinal) && e.Message.Contains(missing, StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_header_column_is_an_error()
    {
        var result = ParseLines(Header + ",port", "203.0.113.10,root,pw,22,DE,Germany,23");

        Assert.Contains(result.FileErrors, e => e.Field == CloudCsvColumns.Port && e.Message.Contains("twice", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("203.0.113.10,root,pw,22,DE,Germany")]
    [InlineData("{\"clouds\": []}")]
    [InlineData("<html><body>hello</body></html>")]
    public void No_header_is_a_file_error(string firstLine)
    {
        var result = ParseLines(firstLine, "198.51.100.7,root,pw,22,DE,Germany");

        var error = Assert.Single(result.FileErrors);
        Assert.Contains("not a cloud CSV header", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Row);
    }

    [Fact]
    public void Unclosed_quote_is_a_file_error_naming_the_line()
    {
        var result = ParseLines(Header, "203.0.113.10,root,\"pw,22,DE,Germany", "198.51.100.7,root,pw,22,DE,Germany");

        var error = Assert.Single(result.FileErrors);
        Assert.Equal(2, error.Row);
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_a_file_error()
    {
        var result = ParseLines(Header, "203.0.113.10,root,\"pw\"x,22,DE,Germany");

        Assert.Contains("after a closing quote", Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_content_is_rejected()
    {
        var bytes = new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00 };

        var result = CloudCsvParser.ParseBytes(bytes);

        Assert.Contains("NUL", Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16_text_is_rejected()
    {
        var result = CloudCsvParser.ParseBytes(Encoding.Unicode.GetBytes(Header + "\r\n"));

        Assert.Contains("UTF-16", Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var bytes = Encoding.Latin1.GetBytes(Header + "\r\n203.0.113.10,root,pw,22,DE,Österreich\r\n");

        var result = CloudCsvParser.ParseBytes(bytes);

        Assert.Contains("UTF-8", Assert.Single(result.FileErrors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100, 99, false)]
    [InlineData(100, 100, false)]
    [InlineData(100, 101, true)]
    [InlineData(1024, 200_000, true)]
    public async Task Size_limit_applies_to_streams(int maxBytes, int size, bool rejected)
    {
        var line = "203.0.113.10,root,pw,22,DE,Germany\n";
        var text = new StringBuilder(Header + "\n");
        while (text.Length < size)
        {
            text.Append(line);
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString()[..size]);
        using var stream = new MemoryStream(bytes);

        var result = await CloudCsvParser.ParseAsync(stream, new CloudCsvOptions { MaxBytes = maxBytes }, CancellationToken.None);

        Assert.Equal(rejected, result.FileErrors.Any(e => e.Message.Contains("larger than the limit", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Default_limit_is_one_mebibyte()
    {
        using var stream = new MemoryStream(new byte[(1024 * 1024) + 1]);

        var result = await CloudCsvParser.ParseAsync(stream, null, CancellationToken.None);

        Assert.Equal("the file is larger than the limit of 1 MiB", Assert.Single(result.FileErrors).Message);
    }

    [Fact]
    public void Natural_key_ignores_host_case()
    {
        var result = ParseLines(Header, "GPU.example.com,root,pw,22,DE,Germany", "gpu.EXAMPLE.com,root,pw,22,DE,Germany");

        Assert.All(result.Rows, r => Assert.Contains("duplicate", Assert.Single(r.Errors).Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Country_catalog_has_every_iso_code()
    {
        Assert.Equal(250, CountryCatalog.Count);
        Assert.True(CountryCatalog.TryGet("kr", out var korea));
        Assert.Equal(new Country("KR", "South Korea"), korea);
        Assert.All(CountryCatalog.All, c => Assert.Matches("^[A-Z]{2}$", c.Alpha2));
        Assert.False(CountryCatalog.TryGet("UK", out _));
    }

    [Fact]
    public void Cloud_definition_to_string_hides_the_password()
    {
        var row = SingleRow("203.0.113.10,root,Secret-pw,22,DE,Germany");

        Assert.DoesNotContain("Secret", row.Cloud!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", row.ToString(), StringComparison.Ordinal);
    }
}
