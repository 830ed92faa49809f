namespace GreenConsole.Core.Migration;

/// <summary>
/// The single cost model shared by <see cref="MigrationPolicy"/>, <see cref="MigrationAccounting"/>,
/// the simulator and its oracle, so that every comparison charges a move the same way.
/// </summary>
/// <remarks>
/// <para>Running: grams = IT power (kW) × hours × PUE × intensity (g/kWh).</para>
/// <para>A move stops the job for a downtime D = checkpoint bytes / bandwidth + restart time. During D no
/// training progress is made, but both machines stay powered: the source while it writes and sends the
/// checkpoint, the target while it receives it and restarts the job. Both are charged at their idle power
/// for the whole of D, each at its own PUE and intensity at the moment of the move:
/// overhead = D × (idle_src × PUE_src × CI_src + idle_tgt × PUE_tgt × CI_tgt).
/// This overcharges slightly (each side is busy only part of D), which keeps the policy conservative.</para>
/// <para>Energy of the network path itself is not counted: it cannot be attributed to a grid.</para>
/// <para>D also adds wall-clock time to the job: the job still needs the same compute time afterwards.</para>
/// </remarks>
public static class MigrationCostModel
{
    /// <summary>Downtime of one move: transfer of the checkpoint plus the restart on the target.</summary>
    public static TimeSpan Downtime(long checkpointBytes, double bandwidthBytesPerSecond, TimeSpan restartTime)
    {
        if (checkpointBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(checkpointBytes), checkpointBytes, "Checkpoint size must not be negative.");
        if (!(bandwidthBytesPerSecond > 0) || double.IsInfinity(bandwidthBytesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(bandwidthBytesPerSecond), bandwidthBytesPerSecond, "Bandwidth must be a positive, finite number of bytes per second.");
        if (restartTime < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(restartTime), restartTime, "Restart time must not be negative.");
        return TimeSpan.FromSeconds(checkpointBytes / bandwidthBytesPerSecond) + restartTime;
    }

    /// <summary>Downtime in hours, the unit the hourly simulator works in.</summary>
    public static double DowntimeHours(long checkpointBytes, double bandwidthBytesPerSecond, double restartSeconds) =>
        (checkpointBytes / bandwidthBytesPerSecond + restartSeconds) / 3600.0;

    /// <summary>Grams emitted by running <paramref name="itPowerKw"/> for <paramref name="hours"/> at one cloud.</summary>
    public static double RunGrams(double itPowerKw, double hours, double pue, double intensityGPerKwh) =>
        itPowerKw * hours * pue * intensityGPerKwh;

    /// <summary>Idle energy (kWh at the meter, i.e. including PUE) of both sides during one move.</summary>
    public static double OverheadKwh(double downtimeHours, double idleKwSource, double pueSource, double idleKwTarget, double pueTarget) =>
        downtimeHours * (idleKwSource * pueSource + idleKwTarget * pueTarget);

    /// <summary>Grams of one move's downtime, see the type's remarks.</summary>
    public static double OverheadGrams(
        double downtimeHours,
        double idleKwSource, double pueSource, double intensitySource,
        double idleKwTarget, double pueTarget, double intensityTarget) =>
        downtimeHours * (idleKwSource * pueSource * intensitySource + idleKwTarget * pueTarget * intensityTarget);
}
