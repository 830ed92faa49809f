namespace GreenConsole.Core.Clouds;

/// <summary>
/// A cloud server as an admin declares it (one CSV row). The password is held only in memory here;
/// persistence encrypts it and nothing renders it back.
/// </summary>
public sealed record CloudDefinition
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string Username { get; init; }
    public string? Password { get; init; }
    public string? KeyPath { get; init; }
    public required string CountryCode { get; init; }
    public required string CountryName { get; init; }
    public required string Zone { get; init; }
    public double? ThresholdGPerKwh { get; init; }
    public double Pue { get; init; } = 1.0;
    public string? Label { get; init; }

    /// <summary>The identity used for idempotent import: host:port:user, host compared case-insensitively.</summary>
    public string NaturalKey => CloudKey.Of(Host, Port, Username);

    /// <summary>Avoids leaking the password through default record formatting (logs, debugger, exceptions).</summary>
    public override string ToString() => $"{Username}@{Host}:{Port} ({Zone})";
}

public static class CloudKey
{
    public static string Of(string host, int port, string username) =>
        $"{host.Trim().ToLowerInvariant()}:{port}:{username}";
}
