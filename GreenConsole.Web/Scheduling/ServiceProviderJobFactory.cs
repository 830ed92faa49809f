using Quartz;
using Quartz.Spi;

namespace GreenConsole.Web.Scheduling;

/// <summary>
/// Quartz.Extensions.DependencyInjection is not available here, so jobs are resolved from a fresh DI scope
/// per execution; the scope is disposed when Quartz returns the job.
/// </summary>
internal sealed class ServiceProviderJobFactory(IServiceProvider services) : IJobFactory
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IJob, AsyncServiceScope> _scopes = new();

    public IJob NewJob(TriggerFiredBundle bundle, IScheduler scheduler)
    {
        var scope = services.CreateAsyncScope();
        try
        {
            var job = (IJob)ActivatorUtilities.CreateInstance(scope.ServiceProvider, bundle.JobDetail.JobType);
            _scopes[job] = scope;
            return job;
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    public void ReturnJob(IJob job)
    {
        if (_scopes.TryRemove(job, out var scope))
        {
            scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
