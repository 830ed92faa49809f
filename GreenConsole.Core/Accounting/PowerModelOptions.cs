namespace GreenConsole.Core.Accounting;

/// <summary>Constants of the power model. Defaults and their sources are documented on each property.</summary>
public sealed record PowerModelOptions
{
    /// <summary>
    /// RAM power per GB of installed memory: 0.375 W/GB, i.e. 3 W per 8 GB, the figure CodeCarbon 2.x documents
    /// and applies (its emissions.csv files show ram_power = 0.375 × ram_total_size in GB).
    /// </summary>
    public double RamWattsPerGb { get; init; } = 0.375;

    /// <summary>
    /// Power of one logical CPU at 100 % load when the model is not in <see cref="CpuTdpTable"/>: 3.5 W, the
    /// "average maximum watts per vCPU" that Cloud Carbon Footprint's methodology uses for AWS.
    /// </summary>
    public double DefaultMaxWattsPerThread { get; init; } = 3.5;

    /// <summary>
    /// Idle floor as a fraction of full-load power: 0.74 / 3.5 ≈ 0.21, the ratio of Cloud Carbon Footprint's AWS
    /// average minimum (0.74 W) to maximum (3.5 W) per vCPU. Power = max × (floor + (1 − floor) × utilisation),
    /// the same linear min-max interpolation CCF applies.
    /// </summary>
    public double IdleFraction { get; init; } = 0.74 / 3.5;
}
