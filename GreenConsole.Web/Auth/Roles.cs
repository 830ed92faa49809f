namespace GreenConsole.Web.Auth;

/// <summary>The three roles. Each includes everything the previous one may do.</summary>
public static class Roles
{
    public const string Researcher = "Researcher";
    public const string Operator = "Operator";
    public const string Admin = "Admin";

    public static readonly IReadOnlyList<string> All = [Researcher, Operator, Admin];
}

/// <summary>Policies checked on the server by pages and endpoints alike; hiding a button is never the check.</summary>
public static class Policies
{
    /// <summary>See everything; start, stop and migrate jobs.</summary>
    public const string Research = "research";

    /// <summary>Research plus remote terminals.</summary>
    public const string Operate = "operate";

    /// <summary>Operate plus clouds, CSV import and users.</summary>
    public const string Administer = "administer";
}
