namespace GreenConsole.Core.Accounting;

/// <summary>RAPL energy counters (microjoules) wrap at max_energy_range_uj; this turns two readings into energy.</summary>
public static class RaplMath
{
    /// <summary>
    /// Energy between two readings of the same counter. A lower current value means the counter wrapped once
    /// (the kernel counter restarts at 0 after max_energy_range_uj). Returns null when that cannot be resolved
    /// (unknown range, or a reading above the range, which means a different counter or a reboot).
    /// </summary>
    public static ulong? DeltaMicrojoules(ulong previous, ulong current, ulong maxEnergyRange)
    {
        if (current >= previous)
        {
            return current - previous;
        }

        if (maxEnergyRange == 0 || previous > maxEnergyRange)
        {
            return null;
        }

        return (maxEnergyRange - previous) + current;
    }
}
