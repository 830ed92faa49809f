using GreenConsole.Core.Carbon;

namespace GreenConsole.Core.Accounting;

/// <summary>One component's power with how it was obtained.</summary>
/// <param name="Method">Human-readable method, for example "rapl", "tdp-table: EPYC 7763 × utilisation".</param>
public sealed record PowerComponent(double Watts, DataQuality Quality, string Method);

/// <summary>Whole-machine power at one sample, by component. A component that cannot be estimated is null and
/// its reason is listed in <see cref="Missing"/>; the total then covers only what is known.</summary>
public sealed record PowerEstimate(
    DateTimeOffset At,
    PowerComponent? Cpu,
    PowerComponent? Gpu,
    PowerComponent? Ram,
    IReadOnlyList<string> Missing)
{
    public double CpuW => Cpu?.Watts ?? 0;
    public double GpuW => Gpu?.Watts ?? 0;
    public double RamW => Ram?.Watts ?? 0;
    public double TotalW => CpuW + GpuW + RamW;

    /// <summary>The weakest quality among the known components (Measured only when everything was measured).</summary>
    public DataQuality Quality
    {
        get
        {
            var parts = new[] { Cpu, Gpu, Ram }.Where(p => p is not null).Select(p => p!.Quality).ToList();
            if (parts.Count == 0 || Missing.Count > 0)
            {
                return parts.Count == 0 ? DataQuality.Fallback : parts.Append(DataQuality.Estimated).Max();
            }

            return parts.Max();
        }
    }
}
