using GreenConsole.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web.Data;

public sealed class CloudSecretProtectorTests
{
    [Fact]
    public async Task Round_trips_and_never_stores_plaintext()
    {
        await using var db = DataTestDatabase.Create();
        var protector = db.Services.GetRequiredService<CloudSecretProtector>();

        var first = protector.Protect("change-me-1");
        var second = protector.Protect("change-me-1");

        Assert.DoesNotContain("change-me-1", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.Equal("change-me-1", protector.Unprotect(first));
        Assert.True(protector.TryUnprotect(second, out var plain));
        Assert.Equal("change-me-1", plain);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Path.GetDirectoryName(db.DatabasePath)!, "keys"), "key-*.xml"));
    }

    [Fact]
    public async Task Keys_persist_across_service_providers_on_the_same_folder()
    {
        await using var first = DataTestDatabase.Create();
        var cipher = first.Services.GetRequiredService<CloudSecretProtector>().Protect("change-me-2");

        var secondProvider = DataTestDatabase.Create(folder: first.Folder.FullName).Services;
        try
        {
            Assert.Equal("change-me-2", secondProvider.GetRequiredService<CloudSecretProtector>().Unprotect(cipher));
        }
        finally
        {
            await secondProvider.DisposeAsync();
        }
    }

    [Fact]
    public async Task Another_key_ring_cannot_decrypt()
    {
        await using var first = DataTestDatabase.Create();
        await using var other = DataTestDatabase.Create();
        var cipher = first.Services.GetRequiredService<CloudSecretProtector>().Protect("change-me-3");

        Assert.False(other.Services.GetRequiredService<CloudSecretProtector>().TryUnprotect(cipher, out var plain));
        Assert.Null(plain);
        Assert.True(other.Services.GetRequiredService<CloudSecretProtector>().TryUnprotect(null, out var none));
        Assert.Null(none);
    }

    [Fact]
    public async Task Purpose_isolates_cloud_passwords_from_other_protectors()
    {
        await using var db = DataTestDatabase.Create();
        var cipher = db.Services.GetRequiredService<CloudSecretProtector>().Protect("change-me-4");
        var otherPurpose = db.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Something.Else");

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => otherPurpose.Unprotect(cipher));
    }
}
