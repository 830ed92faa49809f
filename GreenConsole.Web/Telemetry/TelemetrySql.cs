using GreenConsole.Core.Accounting;
using GreenConsole.Core.Carbon;
using Microsoft.Data.Sqlite;

namespace GreenConsole.Web.Telemetry;

/// <summary>Prepared insert statements of the telemetry tables on one connection and transaction.</summary>
internal sealed class TelemetrySql(SqliteConnection connection, SqliteTransaction transaction)
{
    private SqliteCommand? _hardware;
    private SqliteCommand? _power;
    private SqliteCommand? _emission;
    private SqliteCommand? _reading;

    public static long ToMs(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public async Task InsertSampleAsync(ProcessedSample sample, CancellationToken cancellationToken)
    {
        var p = sample.Point;
        var at = ToMs(p.At);
        var missingHardware = MissingHardware(sample);

        _hardware ??= Prepare("""
            INSERT INTO "HardwareSamples" ("CloudId","AtMs","Resolution","Count","CpuUtilization","CpuUtilizationMin","CpuUtilizationMax","MemoryUsedBytes","MemoryTotalBytes","GpuUtilization","GpuCount","Missing")
            VALUES ($c,$at,0,1,$u,$u,$u,$mu,$mt,$gu,$gc,$miss)
            """, "$c", "$at", "$u", "$mu", "$mt", "$gu", "$gc", "$miss");
        Set(_hardware, p.CloudId, at, p.CpuUtilization, p.MemoryUsedBytes, p.MemoryTotalBytes, p.GpuUtilization,
            sample.Sample.Gpus.HasValue ? sample.Sample.Gpus.Value.Count : null, missingHardware);
        await _hardware.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        var power = sample.Power;
        _power ??= Prepare("""
            INSERT INTO "PowerSamples" ("CloudId","AtMs","Resolution","Count","TotalWatts","TotalWattsMin","TotalWattsMax","CpuWatts","GpuWatts","RamWatts","Quality","CpuQuality","GpuQuality","RamQuality","CpuMethod","GpuMethod","RamMethod","Missing")
            VALUES ($c,$at,0,1,$t,$t,$t,$cw,$gw,$rw,$q,$cq,$gq,$rq,$cm,$gm,$rm,$miss)
            """, "$c", "$at", "$t", "$cw", "$gw", "$rw", "$q", "$cq", "$gq", "$rq", "$cm", "$gm", "$rm", "$miss");
        Set(_power, p.CloudId, at, power.TotalW, power.Cpu?.Watts, power.Gpu?.Watts, power.Ram?.Watts, (int)power.Quality,
            (int?)power.Cpu?.Quality, (int?)power.Gpu?.Quality, (int?)power.Ram?.Quality,
            power.Cpu?.Method, power.Gpu?.Method, power.Ram?.Method, power.Missing.Count == 0 ? null : string.Join("; ", power.Missing));
        await _power.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        _emission ??= Prepare("""
            INSERT INTO "EmissionSamples" ("CloudId","AtMs","Resolution","Count","Zone","IntervalSeconds","GapSeconds","Kwh","Grams","KwhWithoutIntensity","IntensityGramsPerKwh","IntensityQuality","IntensitySource","Pue")
            VALUES ($c,$at,0,1,$z,$is,$gs,$k,$g,$kw,$i,$iq,$src,$pue)
            """, "$c", "$at", "$z", "$is", "$gs", "$k", "$g", "$kw", "$i", "$iq", "$src", "$pue");
        Set(_emission, p.CloudId, at, p.Zone, p.IntervalSeconds, p.GapSeconds, p.Kwh, p.Grams, p.KwhWithoutIntensity,
            p.IntensityGramsPerKwh, (int?)p.IntensityQuality, p.IntensitySource, p.Pue);
        await _emission.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task UpsertReadingAsync(CarbonIntensityReading reading, DateTimeOffset obtainedAt, CancellationToken cancellationToken)
    {
        _reading ??= Prepare("""
            INSERT INTO "CarbonReadings" ("Zone","AtMs","Signal","GramsPerKwh","Quality","Source","Note","SourceEstimated","AgeSeconds","ObtainedAtMs")
            VALUES ($z,$at,$s,$g,$q,$src,$n,$e,$age,$ob)
            ON CONFLICT ("Zone","Signal","AtMs") DO UPDATE SET
              "GramsPerKwh" = excluded."GramsPerKwh", "Quality" = excluded."Quality", "Source" = excluded."Source", "Note" = excluded."Note",
              "SourceEstimated" = excluded."SourceEstimated", "AgeSeconds" = excluded."AgeSeconds", "ObtainedAtMs" = excluded."ObtainedAtMs"
            """, "$z", "$at", "$s", "$g", "$q", "$src", "$n", "$e", "$age", "$ob");
        Set(_reading, reading.Zone.ToUpperInvariant(), ToMs(EmissionsCalculator.HourStart(reading.At)), (int)reading.Signal, reading.GramsPerKwh,
            (int)reading.Quality, reading.Source, reading.Note, reading.SourceEstimated ? 1 : 0, reading.Age?.TotalSeconds, ToMs(obtainedAt));
        await _reading.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string? MissingHardware(ProcessedSample sample)
    {
        var s = sample.Sample;
        var reasons = new List<string>();
        void Add<T>(string name, Core.Hardware.ProbeField<T> field)
        {
            if (!field.HasValue)
            {
                reasons.Add($"{name}: {field.MissingReason}");
            }
        }

        Add("cpu", s.CpuUtilization);
        Add("memory", s.MemoryUsedBytes);
        Add("gpus", s.Gpus);
        Add("rapl", s.Rapl);
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void Set(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
