using McpFunctions.Core.Jobs;
using Microsoft.Extensions.Configuration;

namespace McpFunctions.Http.Jobs;

/// <summary>A job's name and the schedule it runs on: its setting's value, or its default when the setting is absent.</summary>
/// <param name="FromSetting">True when the schedule came from <paramref name="ScheduleSetting"/> rather than the job's default.</param>
public sealed record ScheduledJobPlan(string Name, string ScheduleSetting, JobSchedule Schedule, bool FromSetting)
{
    /// <summary>Reads the job's schedule setting; an invalid expression fails here, naming the setting.</summary>
    public static ScheduledJobPlan For(IScheduledJob job, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[job.ScheduleSetting];
        var fromSetting = !string.IsNullOrWhiteSpace(configured);
        var expression = fromSetting ? configured! : job.DefaultSchedule;
        if (!JobSchedule.TryParse(expression, out var schedule, out var error))
        {
            var source = fromSetting ? job.ScheduleSetting : $"the default schedule of job {job.Name} (setting {job.ScheduleSetting} is not set)";
            throw new InvalidOperationException(
                $"{source} = '{expression}' is not a six-field NCRONTAB expression (second minute hour day month day-of-week): {error}");
        }

        return new ScheduledJobPlan(job.Name, job.ScheduleSetting, schedule!, fromSetting);
    }

    /// <summary>Plans for every job; two jobs with one name would be ambiguous for the Function App's lookup, so they fail too.</summary>
    public static IReadOnlyList<ScheduledJobPlan> ForAll(IEnumerable<IScheduledJob> jobs, IConfiguration configuration)
    {
        var plans = jobs.Select(job => For(job, configuration)).ToList();
        if (plans.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new InvalidOperationException($"Two scheduled jobs are named {duplicate.Key}; job names must be unique.");
        }

        return plans;
    }
}
