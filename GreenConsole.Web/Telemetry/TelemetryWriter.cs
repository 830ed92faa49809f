using System.Diagnostics;
using System.Threading.Channels;
using GreenConsole.Core.Carbon;
using GreenConsole.Web.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Telemetry;

/// <summary>Counters of the database writer, for the status endpoint and the benchmark.</summary>
public sealed record TelemetryWriterStats(long Samples, long Readings, long Batches, long Dropped, int Queued, DateTimeOffset? LastFlushAt, TimeSpan WriteTime, string? LastError);

/// <summary>
/// The single writer of the telemetry tables. Polls hand it samples through a bounded channel (never blocking: a full
/// queue drops and counts); a background loop writes a batch, in one transaction, once it holds
/// Telemetry:WriterBatchSize samples or its oldest sample waited Telemetry:WriterFlushSeconds.
/// </summary>
public sealed class TelemetryWriter : BackgroundService
{
    private readonly Channel<Item> _queue;
    private readonly IOptions<DatabaseOptions> _database;
    private readonly TelemetryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetryWriter> _logger;
    private readonly object _statsGate = new();
    private long _samples;
    private long _readings;
    private long _batches;
    private long _dropped;
    private int _queued;
    private DateTimeOffset? _lastFlushAt;
    private TimeSpan _writeTime;
    private string? _lastError;

    public TelemetryWriter(IOptions<DatabaseOptions> database, IOptions<TelemetryOptions> options, TimeProvider time, ILogger<TelemetryWriter> logger)
    {
        _database = database;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.WriterQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public TelemetryWriterStats Stats
    {
        get
        {
            lock (_statsGate)
            {
                return new TelemetryWriterStats(_samples, _readings, _batches, Interlocked.Read(ref _dropped), Volatile.Read(ref _queued), _lastFlushAt, _writeTime, _lastError);
            }
        }
    }

    /// <summary>Queues a sample; false (and counted as dropped) when the queue is full.</summary>
    public bool Enqueue(ProcessedSample sample) => Offer(new Item(sample, null, default, null));

    /// <summary>Queues a carbon reading obtained at <paramref name="obtainedAt"/>.</summary>
    public bool Enqueue(CarbonIntensityReading reading, DateTimeOffset obtainedAt) => Offer(new Item(null, reading, obtainedAt, null));

    /// <summary>Completes once everything queued before the call is in the database.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Item(null, null, default, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private bool Offer(Item item)
    {
        if (_queue.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _queued);
            return true;
        }

        if (Interlocked.Increment(ref _dropped) % 1000 == 1)
        {
            _logger.LogWarning("Telemetry write queue is full ({Capacity}); samples are being dropped ({Dropped} so far)", _options.WriterQueueCapacity, Interlocked.Read(ref _dropped));
        }

        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Item>(_options.WriterBatchSize);
        var flushAfter = TimeSpan.FromSeconds(_options.WriterFlushSeconds);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                var deadline = _time.GetTimestamp();
                var flushRequested = false;
                while (!flushRequested)
                {
                    while (batch.Count < _options.WriterBatchSize && _queue.Reader.TryRead(out var item))
                    {
                        batch.Add(item);
                        if (item.Flush is not null)
                        {
                            flushRequested = true;
                            break;
                        }
                    }

                    var waited = _time.GetElapsedTime(deadline);
                    if (flushRequested || batch.Count >= _options.WriterBatchSize || waited >= flushAfter)
                    {
                        break;
                    }

                    // Wait for more samples or the flush deadline, whichever comes first.
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(flushAfter - waited);
                    try
                    {
                        if (!await _queue.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        break;
                    }
                }

                await WriteBatchAsync(batch, stoppingToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: write what is already queued so a restart loses at most the samples in flight.
            while (_queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await WriteBatchAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task WriteBatchAsync(List<Item> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var data = batch.Where(i => i.Flush is null).ToList();
        Interlocked.Add(ref _queued, -data.Count);
        var watch = Stopwatch.StartNew();
        try
        {
            if (data.Count > 0)
            {
                await InsertAsync(data, cancellationToken).ConfigureAwait(false);
            }

            lock (_statsGate)
            {
                _samples += data.Count(i => i.Sample is not null);
                _readings += data.Count(i => i.Reading is not null);
                _batches += data.Count > 0 ? 1 : 0;
                _lastFlushAt = _time.GetUtcNow();
                _writeTime += watch.Elapsed;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A locked or broken database must not stop the loop; the batch is lost and the error shown on the status page.
            lock (_statsGate)
            {
                _lastError = $"{ex.GetType().Name}: {ex.Message}";
                _dropped += data.Count;
            }

            _logger.LogError(ex, "Writing {Count} telemetry rows failed", data.Count);
        }
        finally
        {
            foreach (var flush in batch.Select(i => i.Flush).OfType<TaskCompletionSource>())
            {
                flush.TrySetResult();
            }
        }
    }

    private async Task InsertAsync(List<Item> items, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_database.Value.GetConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var commands = new TelemetrySql(connection, transaction);
        foreach (var item in items)
        {
            if (item.Sample is { } sample)
            {
                await commands.InsertSampleAsync(sample, cancellationToken).ConfigureAwait(false);
            }
            else if (item.Reading is { } reading)
            {
                await commands.UpsertReadingAsync(reading, item.ObtainedAt, cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed record Item(ProcessedSample? Sample, CarbonIntensityReading? Reading, DateTimeOffset ObtainedAt, TaskCompletionSource? Flush);
}
