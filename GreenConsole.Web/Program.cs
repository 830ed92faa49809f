using GreenConsole.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddGreenConsole();

var app = builder.Build();
app.UseGreenConsole();
app.Run();

public partial class Program;
