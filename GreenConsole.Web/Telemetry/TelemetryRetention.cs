using System.Diagnostics;
using System.Globalization;
using GreenConsole.Core.Accounting;
using GreenConsole.Web.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Telemetry;

/// <summary>Rows deleted and inserted by one retention run, per table.</summary>
public sealed record TelemetryRetentionResult(DateTimeOffset At, IReadOnlyDictionary<string, (int Deleted, int Inserted)> Tables, TimeSpan Elapsed)
{
    public int Deleted => Tables.Values.Sum(t => t.Deleted);
    public int Inserted => Tables.Values.Sum(t => t.Inserted);
}

/// <summary>
/// Downsamples the telemetry tables with the Core <see cref="RetentionPlanner"/>: raw rows for
/// Telemetry:RawRetentionHours, per-minute rows for Telemetry:MinuteRetentionDays, hourly beyond. The planner
/// decides which rows become which bucket; this class rolls the columns up so that means stay count-weighted,
/// energy and CO2 stay exact sums, and provenance keeps the worst quality and the latest method. Each cloud and
/// table is one transaction, and only rows near the cut-offs are read, so a run costs about one hour of samples.
/// </summary>
public sealed class TelemetryRetention(IOptions<DatabaseOptions> database, IOptions<TelemetryOptions> options, TimeProvider time, ILogger<TelemetryRetention> logger)
{
    private const string RowSeries = "row";

    internal static readonly TableSpec[] Tables =
    [
        new("HardwareSamples",
        [
            new("CpuUtilization", Agg.MeanRange, "CpuUtilizationMin", "CpuUtilizationMax"),
            new("MemoryUsedBytes", Agg.Mean),
            new("MemoryTotalBytes", Agg.Max),
            new("GpuUtilization", Agg.Mean),
            new("GpuCount", Agg.Max),
            new("Missing", Agg.Last),
        ]),
        new("PowerSamples",
        [
            new("TotalWatts", Agg.MeanRange, "TotalWattsMin", "TotalWattsMax"),
            new("CpuWatts", Agg.Mean),
            new("GpuWatts", Agg.Mean),
            new("RamWatts", Agg.Mean),
            new("Quality", Agg.Max),
            new("CpuQuality", Agg.Max),
            new("GpuQuality", Agg.Max),
            new("RamQuality", Agg.Max),
            new("CpuMethod", Agg.Last),
            new("GpuMethod", Agg.Last),
            new("RamMethod", Agg.Last),
            new("Missing", Agg.Last),
        ]),
        new("EmissionSamples",
        [
            new("Zone", Agg.Last),
            new("IntervalSeconds", Agg.Sum),
            new("GapSeconds", Agg.Sum),
            new("Kwh", Agg.Sum),
            new("Grams", Agg.Sum),
            new("KwhWithoutIntensity", Agg.Sum),
            new("IntensityGramsPerKwh", Agg.Mean),
            new("IntensityQuality", Agg.Max),
            new("IntensitySource", Agg.Last),
            new("Pue", Agg.Mean),
        ]),
    ];

    public RetentionPolicy Policy => new()
    {
        RawFor = TimeSpan.FromHours(options.Value.RawRetentionHours),
        MinuteFor = TimeSpan.FromDays(options.Value.MinuteRetentionDays),
    };

    public async Task<TelemetryRetentionResult> ApplyAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        var policy = Policy;
        var results = new Dictionary<string, (int Deleted, int Inserted)>(StringComparer.Ordinal);
        await using var connection = new SqliteConnection(database.Value.GetConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var table in Tables)
        {
            var deleted = 0;
            var inserted = 0;
            foreach (var cloudId in await CloudIdsAsync(connection, table, cancellationToken).ConfigureAwait(false))
            {
                var (d, i) = await ApplyAsync(connection, table, cloudId, now, policy, cancellationToken).ConfigureAwait(false);
                deleted += d;
                inserted += i;
            }

            results[table.Name] = (deleted, inserted);
        }

        var result = new TelemetryRetentionResult(now, results, watch.Elapsed);
        logger.LogInformation("Telemetry retention: {Deleted} rows rolled up into {Inserted} in {Ms} ms", result.Deleted, result.Inserted, (long)result.Elapsed.TotalMilliseconds);
        return result;
    }

    private static async Task<List<int>> CloudIdsAsync(SqliteConnection connection, TableSpec table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT \"CloudId\" FROM \"{table.Name}\"";
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt32(0));
        }

        return ids;
    }

    private static async Task<(int Deleted, int Inserted)> ApplyAsync(
        SqliteConnection connection, TableSpec table, int cloudId, DateTimeOffset now, RetentionPolicy policy, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var rawCutoff = TelemetrySql.ToMs(now - policy.RawFor);
        var minuteCutoff = TelemetrySql.ToMs(now - policy.MinuteFor);
        var rows = new Dictionary<long, Row>();

        // Raw rows past the raw horizon, and minute rows of the same minutes (a late sample merges into them).
        var raw = await LoadAsync(connection, transaction, table, cloudId, "\"Resolution\" = 0 AND \"AtMs\" < $hi", 0, rawCutoff, cancellationToken).ConfigureAwait(false);
        Add(rows, raw);
        if (raw.Count > 0)
        {
            var from = Floor(raw.Min(r => r.AtMs), 60_000);
            Add(rows, await LoadAsync(connection, transaction, table, cloudId, "\"Resolution\" = 1 AND \"AtMs\" >= $lo AND \"AtMs\" < $hi", from, rawCutoff, cancellationToken).ConfigureAwait(false));
        }

        // Anything finer than an hour past the minute horizon, and hourly rows of the same hours.
        var old = await LoadAsync(connection, transaction, table, cloudId, "\"Resolution\" < 2 AND \"AtMs\" < $hi", 0, minuteCutoff, cancellationToken).ConfigureAwait(false);
        Add(rows, old);
        if (old.Count > 0)
        {
            var from = Floor(old.Min(r => r.AtMs), 3_600_000);
            Add(rows, await LoadAsync(connection, transaction, table, cloudId, "\"Resolution\" = 2 AND \"AtMs\" >= $lo AND \"AtMs\" < $hi", from, minuteCutoff, cancellationToken).ConfigureAwait(false));
        }

        if (rows.Count == 0)
        {
            return (0, 0);
        }

        var byPoint = new Dictionary<MetricPoint, Row>(ReferenceEqualityComparer.Instance);
        foreach (var row in rows.Values)
        {
            byPoint[new MetricPoint(RowSeries, TelemetrySql.FromMs(row.AtMs), row.Resolution, 0, 0, 0, row.Count)] = row;
        }

        var plan = RetentionPlanner.Plan(byPoint.Keys, now, policy);
        if (plan.Delete.Count == 0)
        {
            return (0, 0);
        }

        var inserts = plan.Insert.ToDictionary(p => (TelemetrySql.ToMs(p.At), p.Resolution), p => (Point: p, Rows: new List<Row>()));
        foreach (var point in plan.Delete)
        {
            var row = byPoint[point];
            var key = inserts.ContainsKey((Floor(row.AtMs, 3_600_000), MetricResolution.Hour))
                ? (Floor(row.AtMs, 3_600_000), MetricResolution.Hour)
                : (Floor(row.AtMs, 60_000), MetricResolution.Minute);
            inserts[key].Rows.Add(row);
        }

        await DeleteAsync(connection, transaction, table, plan.Delete.Select(p => byPoint[p].Id), cancellationToken).ConfigureAwait(false);
        foreach (var ((atMs, resolution), (point, members)) in inserts)
        {
            if (members.Sum(m => m.Count) != point.Count)
            {
                throw new InvalidOperationException($"{table.Name}: roll-up of cloud {cloudId} at {point.At:O} covers {members.Sum(m => m.Count)} samples, the plan says {point.Count}.");
            }

            await InsertAsync(connection, transaction, table, cloudId, atMs, resolution, point.Count, Roll(table, members), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (plan.Delete.Count, plan.Insert.Count);
    }

    private static void Add(Dictionary<long, Row> rows, List<Row> more)
    {
        foreach (var row in more)
        {
            rows[row.Id] = row;
        }
    }

    private static long Floor(long ms, long size) => ms - (((ms % size) + size) % size);

    private static object?[] Roll(TableSpec table, List<Row> members)
    {
        var values = new List<object?>();
        var latestFirst = members.OrderByDescending(m => m.AtMs).ToList();
        for (var c = 0; c < table.Columns.Length; c++)
        {
            var column = table.Columns[c];
            var offset = table.Offset(c);
            switch (column.Kind)
            {
                case Agg.Mean:
                case Agg.MeanRange:
                {
                    var known = members.Where(m => m.Values[offset] is not null).ToList();
                    var weight = known.Sum(m => m.Count);
                    values.Add(weight == 0 ? null : known.Sum(m => Num(m.Values[offset]) * m.Count) / weight);
                    if (column.Kind == Agg.MeanRange)
                    {
                        values.Add(known.Count == 0 ? null : known.Min(m => Num(m.Values[offset + 1] ?? m.Values[offset])));
                        values.Add(known.Count == 0 ? null : known.Max(m => Num(m.Values[offset + 2] ?? m.Values[offset])));
                    }

                    break;
                }

                case Agg.Sum:
                    values.Add(members.Sum(m => m.Values[offset] is null ? 0 : Num(m.Values[offset])));
                    break;
                case Agg.Max:
                {
                    var known = members.Where(m => m.Values[offset] is not null).ToList();
                    values.Add(known.Count == 0 ? null : known.Max(m => Num(m.Values[offset])));
                    break;
                }

                case Agg.Last:
                    values.Add(latestFirst.Select(m => m.Values[offset]).FirstOrDefault(v => v is not null));
                    break;
            }
        }

        return values.ToArray();
    }

    private static double Num(object? value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);

    private static async Task<List<Row>> LoadAsync(
        SqliteConnection connection, SqliteTransaction transaction, TableSpec table, int cloudId, string where, long lo, long hi, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT \"Id\", \"AtMs\", \"Resolution\", \"Count\", {string.Join(", ", table.AllColumns.Select(c => $"\"{c}\""))} FROM \"{table.Name}\" WHERE \"CloudId\" = $c AND {where}";
        command.Parameters.AddWithValue("$c", cloudId);
        command.Parameters.AddWithValue("$lo", lo);
        command.Parameters.AddWithValue("$hi", hi);
        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var values = new object?[table.AllColumns.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(4 + i) ? null : reader.GetValue(4 + i);
            }

            rows.Add(new Row(reader.GetInt64(0), reader.GetInt64(1), (MetricResolution)reader.GetInt32(2), reader.GetInt32(3), values));
        }

        return rows;
    }

    private static async Task DeleteAsync(SqliteConnection connection, SqliteTransaction transaction, TableSpec table, IEnumerable<long> ids, CancellationToken cancellationToken)
    {
        foreach (var chunk in ids.Chunk(500))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"DELETE FROM \"{table.Name}\" WHERE \"Id\" IN ({string.Join(',', chunk.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task InsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, TableSpec table, int cloudId, long atMs, MetricResolution resolution, int count, object?[] values, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var columns = table.AllColumns;
        command.CommandText = $"INSERT INTO \"{table.Name}\" (\"CloudId\", \"AtMs\", \"Resolution\", \"Count\", {string.Join(", ", columns.Select(c => $"\"{c}\""))}) " +
            $"VALUES ($c, $at, $r, $n, {string.Join(", ", columns.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
        command.Parameters.AddWithValue("$c", cloudId);
        command.Parameters.AddWithValue("$at", atMs);
        command.Parameters.AddWithValue("$r", (int)resolution);
        command.Parameters.AddWithValue("$n", count);
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("$p" + i.ToString(CultureInfo.InvariantCulture), values[i] ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal enum Agg
    {
        Mean,
        MeanRange,
        Sum,
        Max,
        Last,
    }

    internal sealed record ColumnSpec(string Name, Agg Kind, string? MinColumn = null, string? MaxColumn = null);

    internal sealed record TableSpec(string Name, ColumnSpec[] Columns)
    {
        /// <summary>Column names in storage order: each MeanRange column is followed by its min and max columns.</summary>
        public IReadOnlyList<string> AllColumns { get; } = Columns
            .SelectMany(c => c.Kind == Agg.MeanRange ? new[] { c.Name, c.MinColumn!, c.MaxColumn! } : new[] { c.Name })
            .ToList();

        public int Offset(int column) => Columns.Take(column).Sum(c => c.Kind == Agg.MeanRange ? 3 : 1);
    }

    private sealed record Row(long Id, long AtMs, MetricResolution Resolution, int Count, object?[] Values);
}
