using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GreenConsole.Core.Clouds;

/// <summary>Validates and normalises the host of a cloud: an IPv4 address, an IPv6 address or an RFC-1123 host name.</summary>
public static class HostAddress
{
    public const int MaxHostNameLength = 253;

    /// <summary>
    /// Normalises <paramref name="input"/> or explains why it is not a host. IPv6 may be bracketed (<c>[::1]</c>);
    /// it is stored unbracketed in canonical form so that two spellings of one address give one natural key.
    /// </summary>
    public static bool TryNormalize(string input, out string host, out string? error)
    {
        host = string.Empty;
        var value = input.Trim();
        if (value.Length == 0)
        {
            error = "is empty";
            return false;
        }

        if (value.StartsWith('[') || value.EndsWith(']'))
        {
            if (!(value.StartsWith('[') && value.EndsWith(']')) || value.Length < 3)
            {
                error = "has unbalanced brackets; write an IPv6 address as [2001:db8::1] or 2001:db8::1";
                return false;
            }

            value = value[1..^1];
            if (!value.Contains(':', StringComparison.Ordinal))
            {
                error = "brackets are only allowed around an IPv6 address";
                return false;
            }
        }

        if (value.Contains(':', StringComparison.Ordinal))
        {
            if (value.Contains('%', StringComparison.Ordinal))
            {
                error = "IPv6 scope ids (%...) are not supported";
                return false;
            }

            if (IPAddress.TryParse(value, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                host = v6.ToString();
                error = null;
                return true;
            }

            error = "is not a valid IPv6 address (a port belongs in the Port column)";
            return false;
        }

        var labels = value.TrimEnd('.').Split('.');
        if (labels.All(l => l.Length > 0 && l.All(char.IsAsciiDigit)))
        {
            // All-numeric names are meant as IPv4; IPAddress.TryParse alone would accept "10" or "10.1".
            if (labels.Length == 4 && labels.All(l => l.Length <= 3 && int.Parse(l, CultureInfo.InvariantCulture) <= 255))
            {
                host = string.Join('.', labels.Select(l => int.Parse(l, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)));
                error = null;
                return true;
            }

            error = "is not a valid IPv4 address (four numbers 0-255 separated by dots)";
            return false;
        }

        if (IsHostName(value.TrimEnd('.')))
        {
            host = value.TrimEnd('.').ToLowerInvariant();
            error = null;
            return true;
        }

        error = "is neither an IP address nor a valid host name (letters, digits, '-' and '.', labels of 1-63 characters)";
        return false;
    }

    /// <summary>RFC 1123: dot-separated labels of letters, digits and hyphens, no label starting or ending with '-'.</summary>
    public static bool IsHostName(string value)
    {
        if (value.Length is 0 or > MaxHostNameLength)
        {
            return false;
        }

        foreach (var label in value.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
