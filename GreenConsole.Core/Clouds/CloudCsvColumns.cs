namespace GreenConsole.Core.Clouds;

/// <summary>The header names of the cloud CSV (the seed format plus optional GreenConsole columns).</summary>
public static class CloudCsvColumns
{
    public const string Host = "IP Address of Cloud Server";
    public const string Username = "Username";
    public const string Password = "Password";
    public const string Port = "Port";
    public const string CountryCode = "Country Code";
    public const string CountryName = "Country Name";
    public const string Zone = "Zone";
    public const string Threshold = "Threshold";
    public const string KeyPath = "Key Path";
    public const string Pue = "PUE";
    public const string Label = "Label";

    public static IReadOnlyList<string> Required { get; } = [Host, Username, Password, Port, CountryCode, CountryName];

    public static IReadOnlyList<string> Optional { get; } = [Zone, Threshold, KeyPath, Pue, Label];

    public static IReadOnlyList<string> All { get; } = [.. Required, .. Optional];

    /// <summary>The seed header line, as the sample file and error messages show it.</summary>
    public static string RequiredHeaderLine => string.Join(',', Required);
}
