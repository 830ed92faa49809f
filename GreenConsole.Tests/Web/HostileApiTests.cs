using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GreenConsole.Tests.Support;
using GreenConsole.Web.Auth;
using GreenConsole.Web.Extensions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GreenConsole.Tests.Web;

/// <summary>
/// The real app's API and users as an attacker would meet them: a page on another origin of the same host, a body
/// sent as text/plain, a Researcher reading what is only an administrator's, a deleted user who is still signed in.
/// </summary>
public sealed class HostileApiTests : IAsyncLifetime
{
    private const string Csv = "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name\n192.0.2.10,gc,pw-hostile-1,22,KR,South Korea\n";
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-hostile-api-");
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = TestWebApp.Create(_folder, new Dictionary<string, string>
        {
            ["Auth:RevalidationSeconds"] = "1",
            ["Health:IntervalSeconds"] = "3600",
        }, web => web.ConfigureTestServices(HeaderRoleAuth.Use));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private HttpClient Client(string role)
    {
        var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add(HeaderRoleAuth.Header, role);
        return client;
    }

    private static StringContent CsvBody(string mediaType) => new(Csv, Encoding.UTF8, mediaType);

    [Fact]
    public async Task A_form_posted_from_another_origin_of_the_same_host_gets_403_and_imports_nothing()
    {
        var admin = Client(Roles.Admin);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/clouds/import") { Content = CsvBody("text/plain") };
        request.Headers.Add("Origin", "http://127.0.0.1:9999");
        request.Headers.Add("Sec-Fetch-Site", "same-site");
        var response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Cross-origin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // No body at all: migrate, pause and cancel are refused the same way without the API header.
        var bare = await admin.PostAsync("/api/jobs/job-x/cancel", null);
        Assert.Equal(HttpStatusCode.Forbidden, bare.StatusCode);
        Assert.Contains(ApiRequestGuard.HeaderName, await bare.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var list = await admin.GetFromJsonAsync<JsonElement>("/api/clouds");
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task The_import_takes_only_text_csv_with_the_api_header_and_a_researcher_never_sees_key_paths()
    {
        var admin = Client(Roles.Admin);
        admin.DefaultRequestHeaders.Add(ApiRequestGuard.HeaderName, "1");
        var plain = await admin.PostAsync("/api/clouds/import", CsvBody("text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);

        var keyCsv = Csv.Replace(",Country Name\n", ",Country Name,Key Path\n", StringComparison.Ordinal).TrimEnd('\n') + ",keys/id_ed25519\n";
        var ok = await admin.PostAsync("/api/clouds/import", new StringContent(keyCsv, Encoding.UTF8, "text/csv"));
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());

        var asAdmin = (await admin.GetFromJsonAsync<JsonElement>("/api/clouds"))[0];
        Assert.Equal("keys/id_ed25519", asAdmin.GetProperty("keyPath").GetString());
        var asResearcher = (await Client(Roles.Researcher).GetFromJsonAsync<JsonElement>("/api/clouds"))[0];
        Assert.Equal(JsonValueKind.Null, asResearcher.GetProperty("keyPath").ValueKind);
    }

    [Fact]
    public async Task Job_inputs_past_their_bounds_are_refused_with_the_setting_named()
    {
        var researcher = Client(Roles.Researcher);
        researcher.DefaultRequestHeaders.Add(ApiRequestGuard.HeaderName, "1");
        var response = await researcher.PostAsJsonAsync("/api/jobs", new { cloudId = 1, epochs = 2, checkpointPadBytes = 1L << 50 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Migration:MaxCheckpointPadBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var epochs = await researcher.PostAsJsonAsync("/api/jobs", new { cloudId = 1, epochs = 10_000_000 });
        Assert.Contains("Migration:MaxEpochs", await epochs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_answer_carries_the_hardening_headers()
    {
        var response = await _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/account/login");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_user_fails_revalidation_and_loses_their_terminals()
    {
        using var scope = _factory.Services.CreateScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        Assert.True((await admin.CreateAsync("gone-operator", "gone-operator-pass-1", Roles.Operator, CancellationToken.None)).Succeeded);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = (await users.FindByNameAsync("gone-operator"))!;
        var principal = await scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>().CreateUserPrincipalAsync(user);
        Assert.True(await IdentityRevalidatingAuthenticationStateProvider.IsStillValidAsync(scope.ServiceProvider, principal, CancellationToken.None));

        Assert.True((await admin.DeleteAsync(user.Id, "admin", CancellationToken.None)).Succeeded);
        Assert.False(await IdentityRevalidatingAuthenticationStateProvider.IsStillValidAsync(scope.ServiceProvider, principal, CancellationToken.None));

        // A terminal open being launched for them now is refused (their open ones were closed by the delete).
        var terminals = scope.ServiceProvider.GetRequiredService<GreenConsole.Web.Terminals.TerminalSessionManager>();
        Assert.DoesNotContain(terminals.Sessions, s => s.UserName == "gone-operator");
        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityStampValidatorOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(1), options.ValidationInterval);
    }
}
