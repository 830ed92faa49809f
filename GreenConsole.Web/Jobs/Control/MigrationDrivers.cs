using System.Collections.Concurrent;
using GreenConsole.Core.Migration;
using GreenConsole.Web.Clouds;
using Microsoft.Extensions.Options;

namespace GreenConsole.Web.Jobs.Control;

/// <summary>Runs one <see cref="MigrationDriver"/> per unfinished migration, never two for the same one.</summary>
internal sealed class MigrationDrivers
{
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly MigrationDriverContext _context;
    private readonly ILogger<MigrationDrivers> _logger;

    public MigrationDrivers(
        CloudRepository clouds, ITrainingAgent agent, JobRepository jobs, JobStore store, MigrationHooks hooks,
        IOptions<JobsOptions> options, TimeProvider time, ILogger<MigrationDriver> driverLogger, ILogger<MigrationDrivers> logger,
        Definitions.JobSpecs specs, Definitions.JobPreparation prepare)
    {
        _logger = logger;
        _context = new MigrationDriverContext(clouds, agent, jobs, store, hooks, options.Value, time, driverLogger, new MigrationStateMachine(options.Value.Timeouts), specs, prepare);
    }

    public IReadOnlyCollection<Guid> Active => [.. _running.Keys];

    /// <summary>Starts the migration's driver unless one runs; it stops (its step persisted) when <paramref name="stopping"/> fires.</summary>
    public void Start(Guid migrationId, CancellationToken stopping)
    {
        if (_running.ContainsKey(migrationId) || stopping.IsCancellationRequested)
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(async () =>
        {
            await started.Task.ConfigureAwait(false);
            try
            {
                await new MigrationDriver(_context, migrationId).RunAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                _logger.LogInformation("Migration {Migration} interrupted by shutdown; it is recovered on the next start", migrationId);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // Whatever a cloud made a step throw, the driver is retried from its persisted step; the host stays up.
                _logger.LogError(e, "Migration {Migration} driver failed; it is retried next tick", migrationId);
            }
            finally
            {
                _running.TryRemove(migrationId, out _);
            }
        }, CancellationToken.None);
        if (_running.TryAdd(migrationId, task))
        {
            started.SetResult();
        }
        else
        {
            started.SetCanceled(CancellationToken.None);
        }
    }

    /// <summary>Waits for every driver (they observe the stopping token), so no step writes after the host is gone.</summary>
    public async Task DrainAsync()
    {
        try
        {
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: drivers stop where they are; their persisted step is recovered on the next start.
        }
    }
}
