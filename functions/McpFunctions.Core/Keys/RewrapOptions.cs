using McpFunctions.Core.Configuration;

namespace McpFunctions.Core.Keys;

/// <summary>Settings of section <c>Rewrap</c> (environment <c>Rewrap__MaxPerRun</c>, ...): how much one re-wrap pass may do.</summary>
public sealed class RewrapOptions : IValidatedOptions
{
    public const string Section = "Rewrap";

    /// <summary>The app setting holding the job's NCRONTAB schedule.</summary>
    public const string ScheduleSetting = "REWRAP_SCHEDULE";

    /// <summary>Minute 17 of every hour: off the hour, when other timers tend to fire.</summary>
    public const string DefaultSchedule = "0 17 * * * *";

    public const int MaxPerRunLimit = 100_000;
    public const int MaxPageSize = 1_000;
    public const int MaxParallelism = 64;

    /// <summary>At most this many credentials are looked at per pass (re-wrapped, skipped or failed); the next pass goes on.</summary>
    public int MaxPerRun { get; set; } = 2_000;

    /// <summary>Credentials fetched per query.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Credentials re-wrapped at once (each is a key-ring lookup and one conditional write).</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>Every problem with these settings, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxPerRun is < 1 or > MaxPerRunLimit)
        {
            problems.Add($"{Section}__MaxPerRun must be 1..{MaxPerRunLimit}.");
        }

        if (PageSize is < 1 or > MaxPageSize)
        {
            problems.Add($"{Section}__PageSize must be 1..{MaxPageSize}.");
        }

        if (Parallelism is < 1 or > MaxParallelism)
        {
            problems.Add($"{Section}__Parallelism must be 1..{MaxParallelism}.");
        }

        return problems;
    }
}
