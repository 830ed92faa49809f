using Microsoft.Extensions.Logging.Abstractions;
using Quartz;
using Quartz.Logging;

namespace GreenConsole.Web.Scheduling;

public static class SchedulingExtensions
{
    /// <summary>Quartz through its hosting packages: the DI job factory (one scope per run) and the hosted scheduler.</summary>
    public static IServiceCollection AddGreenConsoleScheduling(this IServiceCollection services)
    {
        services.AddQuartz(q =>
        {
            // Quartz keeps schedulers in a process-wide repository by name: two hosts in one process (tests, CLI
            // verbs beside the app) must not meet there.
            q.SchedulerName = "GreenConsole-" + Guid.NewGuid().ToString("N")[..8];
            q.UseDefaultThreadPool(pool => pool.MaxConcurrency = 8);
        });
        // Registered first, so that it starts before the scheduler does.
        services.AddHostedService<QuartzLogBinding>();
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }

    /// <summary>
    /// A job the scheduler runs for ever at a fixed interval. The interval is read from options when the scheduler
    /// starts, so it follows the validated configuration, and the first run is now (or one interval from now).
    /// </summary>
    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string name, Func<IServiceProvider, TimeSpan> interval, bool startImmediately = true)
        where TJob : class, IJob
    {
        services.AddOptions<QuartzOptions>().Configure<IServiceProvider>((quartz, sp) =>
        {
            var every = interval(sp);
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
            var job = new JobKey(name);
            quartz.AddJob<TJob>(j => j.WithIdentity(job));
            quartz.AddTrigger(t => t
                .ForJob(job)
                .WithIdentity(name + ".trigger")
                .StartAt(startImmediately ? now : now + every)
                .WithSimpleSchedule(s => s.WithInterval(every).RepeatForever().WithMisfireHandlingInstructionNextWithRemainingCount()));
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchedulingExtensions)).LogInformation("Scheduled {Job} every {Interval}", name, every);
        });
        return services;
    }
}

/// <summary>
/// Quartz keeps one process-wide log provider. With two hosts in a process (tests, a CLI verb beside the app) it can
/// keep the logger factory of a host that is gone and throw ObjectDisposedException into the other's scheduler. This
/// points it, before the scheduler is built, at a process-wide factory that uses the newest host still running.
/// </summary>
internal sealed class QuartzLogBinding : IHostedService, IDisposable
{
    private static readonly List<ILoggerFactory> Live = [];
    private static readonly LiveHostsLoggerFactory Shared = new();
    private readonly ILoggerFactory _loggers;

    public QuartzLogBinding(ILoggerFactory loggers)
    {
        _loggers = loggers;
        lock (Live)
        {
            Live.Add(loggers);
        }

        LogContext.SetCurrentLogProvider(Shared);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Again once the scheduler is built, in case it set a provider of its own meanwhile.
        LogContext.SetCurrentLogProvider(Shared);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        lock (Live)
        {
            Live.Remove(_loggers);
        }
    }

    private sealed class LiveHostsLoggerFactory : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName)
        {
            ILoggerFactory[] candidates;
            lock (Live)
            {
                candidates = [.. Live];
            }

            for (var i = candidates.Length - 1; i >= 0; i--)
            {
                try
                {
                    return candidates[i].CreateLogger(categoryName);
                }
                catch (ObjectDisposedException)
                {
                    // That host is shutting down; an older one may still be running.
                }
            }

            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider)
        {
            // Providers belong to each host's own factory.
        }

        public void Dispose()
        {
        }
    }
}
