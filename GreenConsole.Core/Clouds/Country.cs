namespace GreenConsole.Core.Clouds;

public sealed record Country(string Alpha2, string Name);
