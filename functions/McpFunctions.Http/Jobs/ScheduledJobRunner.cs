using McpFunctions.Core.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Jobs;

/// <summary>The LocalHost's stand-in for timer triggers: runs every <see cref="IScheduledJob"/> on its NCRONTAB
/// schedule (UTC), one run at a time per job; a failed run is logged and the next one comes as scheduled.</summary>
/// <remarks>Schedules are read and checked at start, so a bad one stops the host naming its setting. An
/// occurrence that passes while the previous run is still going is skipped, not queued. Each run gets its own
/// DI scope, as a function invocation does.</remarks>
public sealed class ScheduledJobRunner(
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<ScheduledJobRunner> logger) : BackgroundService
{
    /// <summary>Longest single wait: Task.Delay's limit is ~49 days, and re-checking now and then also rides out clock jumps.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    private IReadOnlyList<ScheduledJobPlan> plans = [];

    /// <summary>The schedules in force (empty until started).</summary>
    public IReadOnlyList<ScheduledJobPlan> Plans => plans;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        using (var scope = scopes.CreateScope())
        {
            plans = ScheduledJobPlan.ForAll(scope.ServiceProvider.GetServices<IScheduledJob>(), configuration);
        }

        if (!options.Value.Enabled)
        {
            logger.LogInformation("Scheduled jobs are off ({Setting}=false); {Count} job(s) will not run", "Jobs__Enabled", plans.Count);
            return Task.CompletedTask;
        }

        foreach (var plan in plans)
        {
            logger.LogInformation(
                "Job {Job} runs on '{Schedule}' ({Source}); next run at {NextRun:o}",
                plan.Name, plan.Schedule.Expression, plan.FromSetting ? plan.ScheduleSetting : "default", plan.Schedule.Next(time.GetUtcNow()));
        }

        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(plans.Select(plan => RunOnScheduleAsync(plan, stoppingToken)));

    private async Task RunOnScheduleAsync(ScheduledJobPlan plan, CancellationToken stoppingToken)
    {
        var due = plan.Schedule.Next(time.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (now < due)
            {
                // Loop rather than trust one long delay: a timer may fire a little early, and must not run the job early.
                var wait = due - now;
                try
                {
                    await Task.Delay(wait < MaxWait ? wait : MaxWait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            await RunOnceAsync(plan, stoppingToken);

            // From the later of now and the occurrence just served: occurrences missed while the run overran are skipped.
            var finished = time.GetUtcNow();
            due = plan.Schedule.Next(finished > due ? finished : due);
        }
    }

    private async Task RunOnceAsync(ScheduledJobPlan plan, CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        IScheduledJob job;
        try
        {
            job = ScheduledJobExecution.Find(scope.ServiceProvider.GetServices<IScheduledJob>(), plan.Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Job {Job} could not be created", plan.Name);
            return;
        }

        try
        {
            await ScheduledJobExecution.RunAsync(job, time, logger, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; already logged.
        }
        catch (Exception)
        {
            // Already logged with its duration by ScheduledJobExecution; the host and the other jobs carry on.
        }
    }
}
