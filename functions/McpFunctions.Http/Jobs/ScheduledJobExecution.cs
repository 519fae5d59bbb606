using McpFunctions.Core.Jobs;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Http.Jobs;

/// <summary>One run of a scheduled job, logged the same way in both hosts: the timer functions and the LocalHost's runner.</summary>
public static class ScheduledJobExecution
{
    /// <summary>The registered job called <paramref name="name"/> (the Function App's timer functions look theirs up so).</summary>
    public static IScheduledJob Find(IEnumerable<IScheduledJob> jobs, string name)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var registered = jobs.ToList();
        return registered.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"No scheduled job named {name} is registered (registered: {string.Join(", ", registered.Select(j => j.Name))}).");
    }

    /// <summary>Runs the job, logging its start, duration and outcome; a failure is logged and rethrown so the
    /// caller decides (a timer function fails its invocation, the LocalHost runner carries on).</summary>
    public static async Task RunAsync(IScheduledJob job, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["Job"] = job.Name, ["Operation"] = "job:" + job.Name });
        var started = time.GetTimestamp();
        logger.LogInformation("Job {Job} started", job.Name);
        try
        {
            await job.RunAsync(cancellationToken);
            logger.LogInformation("Job {Job} finished in {DurationMs} ms", job.Name, Elapsed(time, started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: every job is resumable by contract, so being cut off is not a failure.
            logger.LogInformation("Job {Job} stopped by shutdown after {DurationMs} ms", job.Name, Elapsed(time, started));
            throw;
        }
        catch (Exception ex)
        {
            // Jobs never put credentials in exceptions (the same rule as everywhere), so logging it is safe.
            logger.LogError(ex, "Job {Job} failed after {DurationMs} ms", job.Name, Elapsed(time, started));
            throw;
        }
    }

    private static long Elapsed(TimeProvider time, long started) => (long)time.GetElapsedTime(started).TotalMilliseconds;
}
