using GreenConsole.Core.Carbon;

namespace GreenConsole.Core.Accounting;

/// <summary>A stretch of time during which a job ran on a cloud.</summary>
public sealed record JobInterval(string JobId, string CloudId, DateTimeOffset From, DateTimeOffset To);

/// <summary>What is known about one cloud's energy: integrated segments and gaps, its intensity per hour, its PUE.</summary>
public sealed record CloudEnergy(EnergyIntegration Energy, Func<DateTimeOffset, CarbonIntensityReading?> IntensityForHour, double Pue);

/// <summary>The energy and emissions charged to one job, by cloud.</summary>
public sealed record JobFootprint(string JobId, IReadOnlyList<JobCloudFootprint> ByCloud)
{
    public double Kwh => ByCloud.Sum(c => c.Kwh);
    public double Grams => ByCloud.Sum(c => c.Grams);
    public TimeSpan GapTime => TimeSpan.FromTicks(ByCloud.Sum(c => c.GapTime.Ticks));
}

/// <summary>
/// One job's share on one cloud. <see cref="GapTime"/> is job time with no power samples (nothing attributed),
/// <see cref="KwhWithoutIntensity"/> energy that had no carbon figure.
/// </summary>
public sealed record JobCloudFootprint(string CloudId, double Kwh, double Grams, TimeSpan Covered, TimeSpan GapTime, double KwhWithoutIntensity);

/// <summary>Charges each job the whole-machine energy and emissions of its cloud while it ran there. Pure.</summary>
public static class JobAttribution
{
    public static IReadOnlyList<JobFootprint> Attribute(IEnumerable<JobInterval> intervals, IReadOnlyDictionary<string, CloudEnergy> clouds)
    {
        var result = new List<JobFootprint>();
        foreach (var job in intervals.GroupBy(i => i.JobId, StringComparer.Ordinal))
        {
            var byCloud = new List<JobCloudFootprint>();
            foreach (var onCloud in job.GroupBy(i => i.CloudId, StringComparer.Ordinal))
            {
                byCloud.Add(ForCloud(onCloud.Key, onCloud.ToList(), clouds.GetValueOrDefault(onCloud.Key)));
            }

            result.Add(new JobFootprint(job.Key, byCloud));
        }

        return result;
    }

    private static JobCloudFootprint ForCloud(string cloudId, IReadOnlyList<JobInterval> intervals, CloudEnergy? cloud)
    {
        var jobTime = TimeSpan.FromTicks(intervals.Sum(i => Math.Max(0, (i.To - i.From).Ticks)));
        if (cloud is null)
        {
            return new JobCloudFootprint(cloudId, 0, 0, TimeSpan.Zero, jobTime, 0);
        }

        var slices = new List<PowerSegment>();
        foreach (var interval in intervals)
        {
            foreach (var segment in cloud.Energy.Segments)
            {
                if (segment.Slice(interval.From, interval.To) is { } slice)
                {
                    slices.Add(slice);
                }
            }
        }

        var emissions = EmissionsCalculator.Compute(slices, cloud.IntensityForHour, cloud.Pue);
        var covered = TimeSpan.FromTicks(slices.Sum(s => s.Duration.Ticks));
        var gap = jobTime - covered;
        return new JobCloudFootprint(cloudId, emissions.Kwh, emissions.Grams, covered, gap < TimeSpan.Zero ? TimeSpan.Zero : gap, emissions.KwhWithoutIntensity);
    }
}
