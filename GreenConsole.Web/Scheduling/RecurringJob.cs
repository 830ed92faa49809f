using Quartz;

namespace GreenConsole.Web.Scheduling;

/// <summary>A job the scheduler runs forever at a fixed interval, registered through <see cref="SchedulingExtensions.AddRecurringJob{TJob}"/>.</summary>
public sealed record RecurringJob(Type JobType, string Name, Func<IServiceProvider, TimeSpan> Interval, bool StartImmediately = true);

/// <summary>Starts Quartz from a hosted service, because Quartz.Extensions.Hosting is not available here.</summary>
internal sealed class QuartzHostedService(
    IServiceProvider services,
    IEnumerable<RecurringJob> jobs,
    ILogger<QuartzHostedService> logger) : IHostedService
{
    private IScheduler? _scheduler;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var properties = new System.Collections.Specialized.NameValueCollection
        {
            // Quartz keeps schedulers in a process-wide repository by name: two hosts in one process (tests, CLI
            // verbs beside the app) must not meet there.
            ["quartz.scheduler.instanceName"] = "GreenConsole-" + Guid.NewGuid().ToString("N")[..8],
            ["quartz.threadPool.maxConcurrency"] = "8",
        };
        var factory = new Quartz.Impl.StdSchedulerFactory(properties);
        _scheduler = await factory.GetScheduler(cancellationToken);
        _scheduler.JobFactory = new ServiceProviderJobFactory(services);

        foreach (var job in jobs)
        {
            var interval = job.Interval(services);
            var detail = JobBuilder.Create(job.JobType).WithIdentity(job.Name).Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity(job.Name + ".trigger")
                .StartAt(job.StartImmediately ? DateTimeOffset.UtcNow : DateTimeOffset.UtcNow + interval)
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireHandlingInstructionNextWithRemainingCount())
                .Build();
            await _scheduler.ScheduleJob(detail, trigger, cancellationToken);
            logger.LogInformation("Scheduled {Job} every {Interval}", job.Name, interval);
        }

        await _scheduler.Start(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_scheduler is not null)
        {
            await _scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
        }
    }
}

public static class SchedulingExtensions
{
    public static IServiceCollection AddGreenConsoleScheduling(this IServiceCollection services)
    {
        services.AddHostedService<QuartzHostedService>();
        return services;
    }

    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string name, Func<IServiceProvider, TimeSpan> interval, bool startImmediately = true)
        where TJob : class, IJob
    {
        services.AddSingleton(new RecurringJob(typeof(TJob), name, interval, startImmediately));
        return services;
    }
}
