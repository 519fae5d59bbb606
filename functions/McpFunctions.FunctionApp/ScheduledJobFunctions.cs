using McpFunctions.Core.Jobs;
using McpFunctions.Http.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace McpFunctions.FunctionApp;

/// <summary>One timer function per <see cref="IScheduledJob"/>, named after the job, on the schedule in the job's setting.</summary>
/// <remarks>A timer trigger's <c>%SETTING%</c> must exist as an app setting (the host will not index the function
/// otherwise): the defaults are in local.settings.sample.json and in the Bicep app settings. Timer triggers run as a
/// singleton across instances (a blob lease in AzureWebJobsStorage), so each job runs one at a time, as in the LocalHost.</remarks>
public sealed class ScheduledJobFunctions(IEnumerable<IScheduledJob> jobs, TimeProvider time, ILogger<ScheduledJobFunctions> logger)
{
    /// <summary>Refreshes OAuth tokens ahead of expiry (default every 5 minutes).</summary>
    [Function("RefreshSweep")]
    public Task RefreshSweep([TimerTrigger("%REFRESH_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        RunAsync("RefreshSweep", context);

    /// <summary>Re-wraps data keys still under older key-encryption-key versions (default hourly at :17).</summary>
    [Function("KeyRewrap")]
    public Task KeyRewrap([TimerTrigger("%REWRAP_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        RunAsync("KeyRewrap", context);

    /// <summary>Delivers pending connection events to <c>WEBHOOK_URL</c> (default every minute).</summary>
    [Function("WebhookOutbox")]
    public Task WebhookOutbox([TimerTrigger("%WEBHOOK_SCHEDULE%")] TimerInfo timer, FunctionContext context) =>
        RunAsync("WebhookOutbox", context);

    private Task RunAsync(string name, FunctionContext context) =>
        ScheduledJobExecution.RunAsync(ScheduledJobExecution.Find(jobs, name), time, logger, context.CancellationToken);
}
