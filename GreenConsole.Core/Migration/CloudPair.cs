using System.Text.Json;
using System.Text.Json.Serialization;

namespace GreenConsole.Core.Migration;

/// <summary>A directed pair of clouds (for measured bandwidth). Written in JSON as <c>"from->to"</c>, also as a dictionary key.</summary>
[JsonConverter(typeof(CloudPairJsonConverter))]
public readonly record struct CloudPair(string From, string To)
{
    public const string Separator = "->";

    public override string ToString() => From + Separator + To;

    public static CloudPair Parse(string text)
    {
        var i = text.IndexOf(Separator, StringComparison.Ordinal);
        if (i <= 0 || i + Separator.Length >= text.Length)
            throw new FormatException($"'{text}' is not a cloud pair of the form 'from->to'.");
        return new CloudPair(text[..i], text[(i + Separator.Length)..]);
    }
}

internal sealed class CloudPairJsonConverter : JsonConverter<CloudPair>
{
    public override CloudPair Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CloudPair.Parse(reader.GetString() ?? throw new JsonException("A cloud pair must be a string."));

    public override void Write(Utf8JsonWriter writer, CloudPair value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    public override CloudPair ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CloudPair.Parse(reader.GetString() ?? throw new JsonException("A cloud pair must be a string."));

    public override void WriteAsPropertyName(Utf8JsonWriter writer, CloudPair value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}
