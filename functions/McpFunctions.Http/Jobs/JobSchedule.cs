using NCrontab;

namespace McpFunctions.Http.Jobs;

/// <summary>A six-field NCRONTAB schedule (<c>second minute hour day month day-of-week</c>) evaluated in UTC by
/// NCrontab, the library the Functions host evaluates timer triggers with, so the LocalHost fires when Azure would.</summary>
public sealed class JobSchedule
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };

    /// <summary>The Gregorian calendar repeats every 400 years: a schedule with no occurrence in that span has none.</summary>
    private const int SearchYears = 400;

    private readonly CrontabSchedule schedule;

    private JobSchedule(string expression, CrontabSchedule schedule) => (Expression, this.schedule) = (expression, schedule);

    /// <summary>The expression with its whitespace normalised.</summary>
    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; refuses one that is malformed or never fires (<c>0 0 0 30 2 *</c>).</summary>
    public static bool TryParse(string? expression, out JobSchedule? schedule, out string? error)
    {
        schedule = null;
        var normalised = string.Join(' ', (expression ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (normalised.Split(' ').Length != 6)
        {
            error = "expected 6 fields (second minute hour day month day-of-week)";
            return false;
        }

        CrontabSchedule parsed;
        try
        {
            parsed = CrontabSchedule.Parse(normalised, SixFields);
        }
        catch (CrontabException ex)
        {
            // NCrontab's message names the field and the value; startup only, so the exception costs nothing.
            error = ex.Message;
            return false;
        }

        var from = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var end = from.AddYears(SearchYears);
        if (parsed.GetNextOccurrence(from, end) >= end)
        {
            error = "the schedule never fires";
            return false;
        }

        schedule = new JobSchedule(normalised, parsed);
        error = null;
        return true;
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, in UTC.</summary>
    public DateTimeOffset Next(DateTimeOffset after) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc), TimeSpan.Zero);

    public override string ToString() => Expression;
}
