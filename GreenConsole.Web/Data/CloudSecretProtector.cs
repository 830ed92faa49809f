using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace GreenConsole.Web.Data;

/// <summary>Encrypts cloud passwords at rest with ASP.NET Data Protection (keys under the database folder).</summary>
public sealed class CloudSecretProtector(IDataProtectionProvider provider)
{
    public const string Purpose = "GreenConsole.CloudPassword.v1";

    private readonly IDataProtector protector = provider.CreateProtector(Purpose);

    public string Protect(string password) => protector.Protect(password);

    /// <exception cref="CryptographicException">The key ring no longer holds the key (or the value was tampered with).</exception>
    public string Unprotect(string protectedPassword) => protector.Unprotect(protectedPassword);

    public bool TryUnprotect(string? protectedPassword, out string? password)
    {
        password = null;
        if (protectedPassword is null)
        {
            return true;
        }

        try
        {
            password = protector.Unprotect(protectedPassword);
            return true;
        }
        catch (CryptographicException)
        {
            // The caller decides what a lost key means (re-encrypt on import, "needs new password" elsewhere).
            return false;
        }
    }
}
