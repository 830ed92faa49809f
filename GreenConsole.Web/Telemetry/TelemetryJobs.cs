using Quartz;

namespace GreenConsole.Web.Telemetry;

/// <summary>Runs every Telemetry tick; each cloud is probed when its own interval has passed.</summary>
[DisallowConcurrentExecution]
internal sealed class HardwarePollJob(TelemetryPoller poller) : IJob
{
    public Task Execute(IJobExecutionContext context) => poller.PollHardwareAsync(context.CancellationToken);
}

[DisallowConcurrentExecution]
internal sealed class CarbonPollJob(TelemetryPoller poller) : IJob
{
    public Task Execute(IJobExecutionContext context) => poller.PollCarbonAsync(context.CancellationToken);
}

[DisallowConcurrentExecution]
internal sealed class TelemetryRetentionJob(TelemetryRetention retention) : IJob
{
    public Task Execute(IJobExecutionContext context) => retention.ApplyAsync(context.CancellationToken);
}
