using GreenConsole.Web.Cli;
using GreenConsole.Web.Extensions;

if (await CliHost.TryRunAsync(args, CancellationToken.None) is { } exitCode)
{
    return exitCode;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddGreenConsole();

var app = builder.Build();
app.UseGreenConsole();
await app.RunAsync();
return 0;

public partial class Program;
