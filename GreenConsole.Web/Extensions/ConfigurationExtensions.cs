using Microsoft.Extensions.Configuration.Json;

namespace GreenConsole.Web.Extensions;

public static class ConfigurationExtensions
{
    /// <summary>
    /// The repository's root appsettings.json is the file operators edit. The build copies it beside the binary as
    /// appsettings.root.json; it is read first so that the project's own files, environment variables and the
    /// command line still override it.
    /// </summary>
    public static WebApplicationBuilder AddGreenConsoleConfiguration(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, RootSettingsSource());

        // When the app runs from its build output (scripts/run.sh, tests), static files and the npm libraries live in
        // the project and package folders named by the build's manifest, not under the working directory.
        var manifest = Path.Combine(AppContext.BaseDirectory, typeof(ConfigurationExtensions).Assembly.GetName().Name + ".staticwebassets.runtime.json");
        if (File.Exists(manifest))
        {
            builder.WebHost.UseStaticWebAssets();
        }
        return builder;
    }

    public static JsonConfigurationSource RootSettingsSource() => new()
    {
        FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        Path = "appsettings.root.json",
        Optional = true,
        ReloadOnChange = false,
    };
}
