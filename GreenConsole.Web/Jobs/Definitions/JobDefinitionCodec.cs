using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using GreenConsole.Core.Jobs.Definitions;
using Microsoft.AspNetCore.DataProtection;

namespace GreenConsole.Web.Jobs.Definitions;

/// <summary>
/// Stores a <see cref="JobDefinition"/> as JSON with every secret value encrypted (ASP.NET Data Protection, the key
/// ring of the cloud passwords), and reads it back. Nothing else turns a stored definition into one with secrets.
/// </summary>
public sealed class JobDefinitionCodec(IDataProtectionProvider provider)
{
    public const string Purpose = "GreenConsole.JobSecret.v1";

    internal static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Encode(JobDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var stored = definition with
        {
            Environment = definition.Environment.Select(v => v.Secret ? v with { Value = _protector.Protect(v.Value) } : v).ToList(),
        };
        return JsonSerializer.Serialize(stored, Json);
    }

    /// <exception cref="InvalidOperationException">The key that encrypted a secret is gone; the message names the variable.</exception>
    public JobDefinition Decode(string json)
    {
        var stored = JsonSerializer.Deserialize<JobDefinition>(json, Json) ?? throw new InvalidOperationException("A stored job definition is empty.");
        return stored with
        {
            Environment = stored.Environment.Select(v => v.Secret ? v with { Value = Unprotect(v) } : v).ToList(),
        };
    }

    /// <summary>For pages and APIs: the definition with every secret value replaced by the mask.</summary>
    public static JobDefinition Masked(JobDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition with { Environment = definition.Environment.Select(v => v.Secret ? v with { Value = JobVariable.Mask } : v).ToList() };
    }

    /// <summary>A stored definition for display, without decrypting anything.</summary>
    public static JobDefinition ReadMasked(string json) =>
        Masked(JsonSerializer.Deserialize<JobDefinition>(json, Json) ?? throw new InvalidOperationException("A stored job definition is empty."));

    private string Unprotect(JobVariable v)
    {
        try
        {
            return _protector.Unprotect(v.Value);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"The secret value of {v.Name} cannot be decrypted (the key ring no longer holds its key); enter it again in the job's definition.", e);
        }
    }
}
