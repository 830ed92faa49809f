using System.Globalization;
using System.Text.RegularExpressions;

namespace GreenConsole.Core.Jobs.Definitions;

/// <summary>A Python package that must import on the cloud, with an optional version bound (<c>torch&gt;=2.0</c>).</summary>
public sealed partial record PackageRequirement(string Name, string? Operator = null, string? Version = null)
{
    public override string ToString() => Operator is null ? Name : Name + Operator + Version;

    /// <summary>Parses <c>name</c>, <c>name&gt;=1.2</c>, <c>name==2.0.1</c>, ... (operators &gt;=, &lt;=, ==, !=, &gt;, &lt;).</summary>
    public static bool TryParse(string? text, out PackageRequirement requirement, out string error)
    {
        requirement = new PackageRequirement("");
        var t = text?.Trim() ?? "";
        var m = Shape().Match(t);
        if (!m.Success)
        {
            error = $"'{t}' is not a package requirement (expected name or name>=version, e.g. torch>=2.0)";
            return false;
        }

        var op = m.Groups["op"].Success ? m.Groups["op"].Value : null;
        var version = m.Groups["version"].Success ? m.Groups["version"].Value : null;
        requirement = new PackageRequirement(m.Groups["name"].Value, op, version);
        error = "";
        return true;
    }

    /// <summary>True when <paramref name="installed"/> satisfies the bound (no bound: any version).</summary>
    public bool IsSatisfiedBy(string installed)
    {
        if (Operator is null || Version is null)
        {
            return true;
        }

        var c = PythonVersion.Compare(installed, Version);
        return Operator switch
        {
            ">=" => c >= 0,
            "<=" => c <= 0,
            ">" => c > 0,
            "<" => c < 0,
            "==" => c == 0,
            "!=" => c != 0,
            _ => false,
        };
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9._-]{0,99})(\s*(?<op>>=|<=|==|!=|>|<)\s*(?<version>[0-9]+(\.[0-9]+){0,3}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}

/// <summary>Orders Python version strings by their numeric release part; "2.1.0+cu121" and "2.1.0a0" count as 2.1.0.</summary>
public static partial class PythonVersion
{
    public static int Compare(string a, string b)
    {
        var x = Release(a);
        var y = Release(b);
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var c = (i < x.Count ? x[i] : 0).CompareTo(i < y.Count ? y[i] : 0);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    /// <summary>"major.minor" of a version, for checkpoint compatibility between two clouds.</summary>
    public static string MajorMinor(string version)
    {
        var r = Release(version);
        return string.Join('.', r.Take(2).Select(n => n.ToString(CultureInfo.InvariantCulture)));
    }

    private static List<long> Release(string v)
    {
        var m = Leading().Match(v.Trim());
        return m.Success
            ? m.Value.Split('.').Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList()
            : [];
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)*", RegexOptions.CultureInvariant)]
    private static partial Regex Leading();
}
