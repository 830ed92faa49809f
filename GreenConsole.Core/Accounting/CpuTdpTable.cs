using System.Text.RegularExpressions;

namespace GreenConsole.Core.Accounting;

/// <summary>Thermal design power of one CPU package and how many hardware threads share it.</summary>
public sealed record CpuTdpSpec(string Family, double TdpWatts, int ThreadsPerSocket)
{
    public double WattsPerThread => TdpWatts / ThreadsPerSocket;
}

/// <summary>
/// A small curated table of common server and workstation CPUs. TDP and thread counts are the vendors'
/// published specifications (Intel ARK, AMD product pages). The match is by model string as /proc/cpuinfo
/// prints it ("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "AMD EPYC 7763 64-Core Processor").
/// </summary>
public static partial class CpuTdpTable
{
    private static readonly (string Token, CpuTdpSpec Spec)[] Entries =
    [
        // Intel Xeon Scalable (Sapphire Rapids, Ice Lake, Cascade Lake, Skylake).
        ("8480+", new CpuTdpSpec("Xeon Platinum 8480+", 350, 112)),
        ("8468", new CpuTdpSpec("Xeon Platinum 8468", 350, 96)),
        ("8380", new CpuTdpSpec("Xeon Platinum 8380", 270, 80)),
        ("8375C", new CpuTdpSpec("Xeon Platinum 8375C", 300, 64)),
        ("8358", new CpuTdpSpec("Xeon Platinum 8358", 250, 64)),
        ("8280", new CpuTdpSpec("Xeon Platinum 8280", 205, 56)),
        ("8275CL", new CpuTdpSpec("Xeon Platinum 8275CL", 240, 48)),
        ("8259CL", new CpuTdpSpec("Xeon Platinum 8259CL", 210, 48)),
        ("8175M", new CpuTdpSpec("Xeon Platinum 8175M", 240, 48)),
        ("6354", new CpuTdpSpec("Xeon Gold 6354", 205, 36)),
        ("6348", new CpuTdpSpec("Xeon Gold 6348", 235, 56)),
        ("6248R", new CpuTdpSpec("Xeon Gold 6248R", 205, 48)),
        ("6248", new CpuTdpSpec("Xeon Gold 6248", 150, 40)),
        ("6230", new CpuTdpSpec("Xeon Gold 6230", 125, 40)),
        ("5218", new CpuTdpSpec("Xeon Gold 5218", 125, 32)),
        ("4214", new CpuTdpSpec("Xeon Silver 4214", 85, 24)),
        ("E5-2686 v4", new CpuTdpSpec("Xeon E5-2686 v4", 145, 36)),
        ("E5-2690 v4", new CpuTdpSpec("Xeon E5-2690 v4", 135, 28)),
        // AMD EPYC (Genoa, Milan, Rome).
        ("EPYC 9654", new CpuTdpSpec("EPYC 9654", 360, 192)),
        ("EPYC 9554", new CpuTdpSpec("EPYC 9554", 360, 128)),
        ("EPYC 7763", new CpuTdpSpec("EPYC 7763", 280, 128)),
        ("EPYC 7713", new CpuTdpSpec("EPYC 7713", 225, 128)),
        ("EPYC 7543", new CpuTdpSpec("EPYC 7543", 225, 64)),
        ("EPYC 7742", new CpuTdpSpec("EPYC 7742", 225, 128)),
        ("EPYC 7502", new CpuTdpSpec("EPYC 7502", 180, 64)),
        ("EPYC 7402", new CpuTdpSpec("EPYC 7402", 180, 48)),
        // Intel Core (workstations used as training boxes).
        ("i9-13900K", new CpuTdpSpec("Core i9-13900K", 125, 32)),
        ("i7-13700K", new CpuTdpSpec("Core i7-13700K", 125, 24)),
        ("i9-12900K", new CpuTdpSpec("Core i9-12900K", 125, 24)),
        ("i7-12700", new CpuTdpSpec("Core i7-12700", 65, 20)),
        ("i9-9900K", new CpuTdpSpec("Core i9-9900K", 95, 16)),
    ];

    /// <summary>The entry whose token appears in the model string (longest token first), or null.</summary>
    public static CpuTdpSpec? Find(string? cpuModel)
    {
        if (string.IsNullOrWhiteSpace(cpuModel))
        {
            return null;
        }

        var normalized = Whitespace().Replace(cpuModel, " ");
        return Entries
            .Where(e => normalized.Contains(e.Token, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(e => e.Token.Length)
            .Select(e => e.Spec)
            .FirstOrDefault();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
