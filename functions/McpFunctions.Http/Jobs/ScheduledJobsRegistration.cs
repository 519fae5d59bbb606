using McpFunctions.Http.Composition;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace McpFunctions.Http.Jobs;

/// <summary>Adds the scheduled-job runner; the LocalHost calls this, the Function App does not (it has timer triggers).</summary>
public static class ScheduledJobsRegistration
{
    public static IHostApplicationBuilder AddScheduledJobRunner(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddValidatedOptions<JobsOptions>(builder.Configuration, JobsOptions.Section);
        builder.Services.AddHostedService<ScheduledJobRunner>();
        return builder;
    }
}
