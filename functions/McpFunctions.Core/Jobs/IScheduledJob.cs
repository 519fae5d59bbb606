namespace McpFunctions.Core.Jobs;

/// <summary>Work that runs on a schedule: a timer function in Azure, a background loop in the LocalHost.</summary>
/// <remarks>Every job must be safe to run on several instances at once and to be cut off half-way: it
/// picks up where the stored state says, never where memory says.</remarks>
public interface IScheduledJob
{
    /// <summary>The function name in Azure and the log name locally (e.g. <c>RefreshSweep</c>).</summary>
    string Name { get; }

    /// <summary>The app setting holding the NCRONTAB schedule (e.g. <c>REFRESH_SCHEDULE</c>).</summary>
    string ScheduleSetting { get; }

    /// <summary>The schedule when the setting is absent (six-field NCRONTAB, e.g. <c>0 */5 * * * *</c>).</summary>
    string DefaultSchedule { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
