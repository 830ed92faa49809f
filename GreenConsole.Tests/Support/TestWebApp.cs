using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GreenConsole.Tests.Support;

/// <summary>The real app in a test server, over its own temp folder: database, SSH data, the shipped traces, no lab import.</summary>
internal static class TestWebApp
{
    public static WebApplicationFactory<Program> Create(DirectoryInfo folder, IReadOnlyDictionary<string, string>? settings = null, Action<IWebHostBuilder>? configure = null) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Database:Path", Path.Combine(folder.FullName, "db", "greenconsole.db"));
            web.UseSetting("Ssh:DataDirectory", Path.Combine(folder.FullName, "ssh"));
            web.UseSetting("Auth:AdminPassword", "test-web-app-password");
            web.UseSetting("Lab:AutoImport", "false");
            web.UseSetting("Carbon:Trace:FilePath", TelemetryRepoPaths.HourlyTrace);
            web.UseSetting("Carbon:Yearly:FilePath", TelemetryRepoPaths.Yearly);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }

            configure?.Invoke(web);
        });
}
