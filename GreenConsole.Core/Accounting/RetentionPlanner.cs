namespace GreenConsole.Core.Accounting;

public enum MetricResolution
{
    Raw = 0,
    Minute = 1,
    Hour = 2,
}

/// <summary>
/// One stored time-series row. Raw rows have Count 1 and Min = Max = Mean; aggregates keep the sample count so
/// that re-aggregating (minute → hour) stays a true weighted mean.
/// </summary>
public sealed record MetricPoint(string Series, DateTimeOffset At, MetricResolution Resolution, double Mean, double Min, double Max, int Count)
{
    public static MetricPoint Raw(string series, DateTimeOffset at, double value) => new(series, at, MetricResolution.Raw, value, value, value, 1);
}

/// <summary>What to do to the store: delete these rows and insert these aggregates; everything else stays.</summary>
public sealed record RetentionPlan(IReadOnlyList<MetricPoint> Delete, IReadOnlyList<MetricPoint> Insert);

public sealed record RetentionPolicy
{
    /// <summary>Raw samples are kept this long (default 24 h).</summary>
    public TimeSpan RawFor { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Per-minute aggregates are kept this long; older data is kept hourly forever (default 30 days).</summary>
    public TimeSpan MinuteFor { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>
/// Pure downsampling: raw for 24 h, per-minute aggregates up to 30 days, hourly beyond. Only whole buckets that
/// lie entirely before the cut-off are rolled up, so applying a plan and planning again changes nothing.
/// </summary>
public static class RetentionPlanner
{
    public static RetentionPlan Plan(IEnumerable<MetricPoint> points, DateTimeOffset now, RetentionPolicy? policy = null)
    {
        policy ??= new RetentionPolicy();
        if (policy.RawFor <= TimeSpan.Zero || policy.MinuteFor < policy.RawFor)
        {
            throw new ArgumentException("Retention needs RawFor > 0 and MinuteFor >= RawFor.", nameof(policy));
        }

        var rawCutoff = now - policy.RawFor;
        var minuteCutoff = now - policy.MinuteFor;
        var delete = new List<MetricPoint>();
        var insert = new List<MetricPoint>();

        foreach (var series in points.GroupBy(p => p.Series, StringComparer.Ordinal))
        {
            // Anything older than the minute horizon goes to hourly buckets (raw rows included, if the store missed a run).
            var hourly = series
                .Where(p => BucketEnd(p.At, TimeSpan.FromHours(1)) <= minuteCutoff)
                .GroupBy(p => BucketStart(p.At, TimeSpan.FromHours(1)));
            var handled = new HashSet<MetricPoint>(ReferenceEqualityComparer.Instance);
            foreach (var bucket in hourly)
            {
                Roll(bucket.Key, bucket.ToList(), MetricResolution.Hour, series.Key, delete, insert);
                foreach (var p in bucket)
                {
                    handled.Add(p);
                }
            }

            var minutely = series
                .Where(p => !handled.Contains(p) && p.Resolution == MetricResolution.Raw)
                .Where(p => BucketEnd(p.At, TimeSpan.FromMinutes(1)) <= rawCutoff)
                .GroupBy(p => BucketStart(p.At, TimeSpan.FromMinutes(1)));
            foreach (var bucket in minutely)
            {
                // An existing minute row for the same bucket (a late raw sample) is merged rather than duplicated.
                var existing = series.Where(p => p.Resolution == MetricResolution.Minute && p.At == bucket.Key && !handled.Contains(p));
                Roll(bucket.Key, bucket.Concat(existing).ToList(), MetricResolution.Minute, series.Key, delete, insert);
            }
        }

        return new RetentionPlan(delete, insert);
    }

    /// <summary>Applies a plan to an in-memory list (what the store does with SQL).</summary>
    public static List<MetricPoint> Apply(IEnumerable<MetricPoint> points, RetentionPlan plan)
    {
        var deleted = new HashSet<MetricPoint>(plan.Delete, ReferenceEqualityComparer.Instance);
        return points.Where(p => !deleted.Contains(p)).Concat(plan.Insert).ToList();
    }

    private static void Roll(DateTimeOffset bucketStart, List<MetricPoint> bucket, MetricResolution resolution, string series, List<MetricPoint> delete, List<MetricPoint> insert)
    {
        // A bucket already holding exactly one row of the target resolution is done.
        if (bucket.Count == 1 && bucket[0].Resolution == resolution && bucket[0].At == bucketStart)
        {
            return;
        }

        var count = bucket.Sum(p => p.Count);
        var mean = bucket.Sum(p => p.Mean * p.Count) / count;
        insert.Add(new MetricPoint(series, bucketStart, resolution, mean, bucket.Min(p => p.Min), bucket.Max(p => p.Max), count));
        delete.AddRange(bucket);
    }

    private static DateTimeOffset BucketStart(DateTimeOffset at, TimeSpan size)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % size.Ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset BucketEnd(DateTimeOffset at, TimeSpan size) => BucketStart(at, size) + size;
}
