using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using GreenConsole.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GreenConsole.Tests.Web.Auth;

/// <summary>
/// An attacker at the sign-in form: the page must not tell a locked real account from an unknown name, and one
/// address may only make a few attempts a minute. The real app, signed in through its own form.
/// </summary>
public sealed partial class HostileLoginTests : IAsyncLifetime
{
    private const string GenericFailure = "Wrong user name or password.";
    private const string Password = "correct-horse-battery";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gc-hostile-login-");
    private readonly CapturingLoggerProvider _logs = new();
    private WebApplicationFactory<Program>? _factory;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task The_fourth_attempt_in_a_minute_from_one_address_is_refused_but_the_page_still_loads()
    {
        var client = Start(permitLimit: 3).CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var (status, body) = await SignInAsync(client, "nobody-here", "not-the-password", CancellationToken.None);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains(GenericFailure, body, StringComparison.Ordinal);
        }

        var refused = await SignInAsync(client, "nobody-here", "not-the-password", CancellationToken.None);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Contains("Too many sign-in attempts", refused.Body, StringComparison.Ordinal);

        // Another spelling of the same route is the same attempt.
        using var variant = await client.PostAsync("/Account/Login/", new FormUrlEncodedContent([new("_handler", "login")]));
        Assert.Equal(HttpStatusCode.TooManyRequests, variant.StatusCode);

        // Only sign-in attempts are counted: the page itself and other POSTs are not throttled.
        using var page = await client.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent([]));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, logout.StatusCode);

        Assert.Contains(_logs.Messages, m => m.Contains("Sign-in attempt from", StringComparison.Ordinal) && m.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_locked_out_account_gets_the_same_answer_as_an_unknown_user_name()
    {
        // A high limit, so that throttling cannot be what answers here.
        var factory = Start(permitLimit: 1000);
        var time = factory.Services.GetRequiredService<TimeProvider>();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var user = new IdentityUser("alice-lab");
            AssertSucceeded(await users.CreateAsync(user, Password));
            AssertSucceeded(await users.SetLockoutEnabledAsync(user, true));
            AssertSucceeded(await users.SetLockoutEndDateAsync(user, time.GetUtcNow().AddYears(10)));
            Assert.True(await users.IsLockedOutAsync(user));
        }

        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        // The right password, so that only the lockout can refuse it; the old page then said "locked".
        var locked = await SignInAsync(client, "alice-lab", Password, CancellationToken.None);
        var unknown = await SignInAsync(client, "nobody-here", Password, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, locked.Status);
        Assert.Equal(HttpStatusCode.OK, unknown.Status);
        Assert.Equal(GenericFailure, LoginError(unknown.Body));
        Assert.Equal(LoginError(unknown.Body), LoginError(locked.Body));
        Assert.DoesNotContain("locked", locked.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("locked", unknown.Body, StringComparison.OrdinalIgnoreCase);

        // The operator still learns which it was.
        Assert.Contains(_logs.Messages, m => m.Contains("Failed sign-in for alice-lab (locked out: True)", StringComparison.Ordinal));
        Assert.Contains(_logs.Messages, m => m.Contains("Failed sign-in for nobody-here (locked out: False)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_users_cookie_stops_working_within_the_revalidation_interval()
    {
        var factory = Start(permitLimit: 1000, revalidationSeconds: 1);
        string id;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<GreenConsole.Web.Auth.UserAdministration>();
            AssertSucceeded(await admin.CreateAsync("doomed-operator", Password, GreenConsole.Web.Auth.Roles.Operator, CancellationToken.None));
            id = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync("doomed-operator"))!.Id;
        }

        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var signedIn = await SignInAsync(client, "doomed-operator", Password, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        using (var before = await client.GetAsync("/api/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            AssertSucceeded(await scope.ServiceProvider.GetRequiredService<GreenConsole.Web.Auth.UserAdministration>().DeleteAsync(id, "admin", CancellationToken.None));
        }

        var deleted = DateTime.UtcNow;
        var until = deleted.AddSeconds(15);
        HttpStatusCode last;
        do
        {
            using var after = await client.GetAsync("/api/jobs");
            last = after.StatusCode;
            if (last == HttpStatusCode.Unauthorized)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < until);

        Assert.Equal(HttpStatusCode.Unauthorized, last);
    }

    private WebApplicationFactory<Program> Start(int permitLimit, int revalidationSeconds = 60)
    {
        _factory = TestWebApp.Create(_folder, new Dictionary<string, string>
        {
            ["Auth:LoginRateLimit:PermitLimit"] = permitLimit.ToString(CultureInfo.InvariantCulture),
            ["Auth:LoginRateLimit:WindowSeconds"] = "60",
            ["Auth:RevalidationSeconds"] = revalidationSeconds.ToString(CultureInfo.InvariantCulture),
        }, web => web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(_logs)));
        return _factory;
    }

    /// <summary>
    /// Loads the form and posts it back as a browser would: the hidden fields (form name, antiforgery token) as
    /// rendered, and the user name and password under the names the page gives its two inputs.
    /// </summary>
    private static async Task<(HttpStatusCode Status, string Body)> SignInAsync(HttpClient client, string userName, string password, CancellationToken cancellationToken)
    {
        using var page = await client.GetAsync("/account/login", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(cancellationToken);

        // FormUrlEncodedContent takes nullable pairs.
        var fields = new List<KeyValuePair<string?, string?>>();
        string? userField = null;
        string? passwordField = null;
        foreach (Match input in InputTag().Matches(html))
        {
            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (Match attribute in InputAttribute().Matches(input.Value))
            {
                attributes.TryAdd(attribute.Groups["name"].Value, WebUtility.HtmlDecode(attribute.Groups["value"].Value));
            }

            if (!attributes.TryGetValue("name", out var name))
            {
                continue;
            }

            if (attributes.TryGetValue("type", out var type) && type.Equals("hidden", StringComparison.OrdinalIgnoreCase))
            {
                fields.Add(new(name, attributes.GetValueOrDefault("value") ?? ""));
            }
            else if (attributes.GetValueOrDefault("id") == "username")
            {
                userField = name;
            }
            else if (attributes.GetValueOrDefault("id") == "password")
            {
                passwordField = name;
            }
        }

        Assert.Contains(fields, f => f.Key == "_handler" && f.Value == "login");
        Assert.Contains(fields, f => f.Key == "__RequestVerificationToken" && !string.IsNullOrEmpty(f.Value));
        Assert.NotNull(userField);
        Assert.NotNull(passwordField);
        fields.Add(new(userField, userName));
        fields.Add(new(passwordField, password));

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(fields), cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static string LoginError(string html)
    {
        var match = LoginErrorText().Match(html);
        Assert.True(match.Success, "The page shows no sign-in error");
        return WebUtility.HtmlDecode(match.Groups["text"].Value).Trim();
    }

    private static void AssertSucceeded(IdentityResult result) =>
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));

    [GeneratedRegex(@"<input\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex(@"(?<name>[\w\-.:]+)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex InputAttribute();

    [GeneratedRegex(@"class=""[^""]*\bgc-login-error\b[^""]*""[^>]*>(?<text>[^<]*)<")]
    private static partial Regex LoginErrorText();

    /// <summary>Keeps every formatted log message, to check what the operator sees.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages.ToArray();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(_messages);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
