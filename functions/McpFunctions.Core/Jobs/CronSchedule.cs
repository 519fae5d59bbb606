using System.Globalization;

namespace McpFunctions.Core.Jobs;

/// <summary>A six-field NCRONTAB schedule (<c>second minute hour day month day-of-week</c>), evaluated in UTC,
/// the format Azure Functions timer triggers use.</summary>
/// <remarks>Each field takes <c>*</c>, a number, a range <c>a-b</c>, a step <c>*/n</c> or <c>a-b/n</c>, or a
/// comma-separated list of those; month and day-of-week also take three-letter English names (<c>Jan</c>,
/// <c>Mon</c>). Day-of-week runs 0-6 from Sunday. As in NCrontab (what the Functions host uses), a time must
/// match every field, day-of-month and day-of-week included: <c>0 0 0 13 * 5</c> is Friday the 13th only.
/// Written here because our package feed has no cron library; the LocalHost must fire when Azure would.</remarks>
public sealed class CronSchedule
{
    private static readonly Field[] Fields =
    [
        new("second", 0, 59, null),
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day", 1, 31, null),
        new("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        new("day-of-week", 0, 6, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ];

    /// <summary>How far <see cref="Next"/> looks: the Gregorian calendar repeats every 400 years, so a
    /// schedule with no occurrence in that span has none at all.</summary>
    private const int SearchYears = 400;

    private readonly ulong seconds;
    private readonly ulong minutes;
    private readonly ulong hours;
    private readonly ulong days;
    private readonly ulong months;
    private readonly ulong daysOfWeek;

    private CronSchedule(string expression, ulong[] masks)
    {
        Expression = expression;
        (seconds, minutes, hours, days, months, daysOfWeek) = (masks[0], masks[1], masks[2], masks[3], masks[4], masks[5]);
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; a <see cref="FormatException"/> says which field is wrong and why.</summary>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var parts = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != Fields.Length)
        {
            throw new FormatException(
                $"expected 6 fields (second minute hour day month day-of-week), found {parts.Length}.");
        }

        var masks = new ulong[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            masks[i] = Fields[i].Parse(parts[i]);
        }

        if (!CanEverMatch(masks[3], masks[4]))
        {
            throw new FormatException("no month in the schedule has any of its days (e.g. day 30 of February), so it never fires.");
        }

        return new CronSchedule(string.Join(' ', parts), masks);
    }

    /// <summary>Like <see cref="Parse"/>, with the reason in <paramref name="error"/> instead of an exception.</summary>
    public static bool TryParse(string? expression, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        error = null;
        if (expression is null)
        {
            error = "no expression.";
            return false;
        }

        try
        {
            schedule = Parse(expression);
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, in UTC.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        var start = after.UtcDateTime;
        start = new DateTime(start.Ticks - (start.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(1);
        int year = start.Year, month = start.Month, day = start.Day, hour = start.Hour, minute = start.Minute, second = start.Second;
        var lastYear = year + SearchYears;

        while (year <= lastYear)
        {
            var nextMonth = NextSet(months, month, 12);
            if (nextMonth < 0)
            {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
                continue;
            }

            if (nextMonth != month)
            {
                (month, day, hour, minute, second) = (nextMonth, 1, 0, 0, 0);
            }

            var nextDay = NextDay(year, month, day);
            if (nextDay < 0)
            {
                (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0);
                if (month > 12)
                {
                    (year, month) = (year + 1, 1);
                }

                continue;
            }

            if (nextDay != day)
            {
                (day, hour, minute, second) = (nextDay, 0, 0, 0);
            }

            var nextHour = NextSet(hours, hour, 23);
            if (nextHour < 0)
            {
                (day, hour, minute, second) = (day + 1, 0, 0, 0);
                continue;
            }

            if (nextHour != hour)
            {
                (hour, minute, second) = (nextHour, 0, 0);
            }

            var nextMinute = NextSet(minutes, minute, 59);
            if (nextMinute < 0)
            {
                (hour, minute, second) = (hour + 1, 0, 0);
                if (hour > 23)
                {
                    (day, hour) = (day + 1, 0);
                }

                continue;
            }

            if (nextMinute != minute)
            {
                (minute, second) = (nextMinute, 0);
            }

            var nextSecond = NextSet(seconds, second, 59);
            if (nextSecond < 0)
            {
                (minute, second) = (minute + 1, 0);
                if (minute > 59)
                {
                    (hour, minute) = (hour + 1, 0);
                    if (hour > 23)
                    {
                        (day, hour) = (day + 1, 0);
                    }
                }

                continue;
            }

            return new DateTimeOffset(year, month, day, hour, minute, nextSecond, TimeSpan.Zero);
        }

        // Unreachable for a parsed schedule (Parse rejects day/month sets that never meet).
        throw new InvalidOperationException($"The schedule '{Expression}' has no occurrence within {SearchYears} years.");
    }

    /// <summary>Whether <paramref name="time"/> (to the second, in UTC) is an occurrence.</summary>
    public bool Matches(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return Has(seconds, utc.Second) && Has(minutes, utc.Minute) && Has(hours, utc.Hour)
            && Has(days, utc.Day) && Has(months, utc.Month) && Has(daysOfWeek, (int)utc.DayOfWeek);
    }

    public override string ToString() => Expression;

    private static bool Has(ulong mask, int value) => (mask & (1UL << value)) != 0;

    /// <summary>The first day ≥ <paramref name="from"/> in this month matching both day fields; -1 when none.</summary>
    private int NextDay(int year, int month, int from)
    {
        var last = DateTime.DaysInMonth(year, month);
        for (var day = NextSet(days, from, last); day >= 0; day = NextSet(days, day + 1, last))
        {
            if ((daysOfWeek & (1UL << (int)new DateTime(year, month, day).DayOfWeek)) != 0)
            {
                return day;
            }
        }

        return -1;
    }

    private static int NextSet(ulong mask, int from, int max)
    {
        for (var value = from; value <= max; value++)
        {
            if ((mask & (1UL << value)) != 0)
            {
                return value;
            }
        }

        return -1;
    }

    private static bool CanEverMatch(ulong days, ulong months)
    {
        // February counts 29 days: leap years come round, and every weekday falls on 29 February in 400 years.
        int[] longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (var month = 1; month <= 12; month++)
        {
            if ((months & (1UL << month)) != 0 && NextSet(days, 1, longest[month - 1]) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Field(string Name, int Min, int Max, string[]? Names)
    {
        public ulong Parse(string text)
        {
            ulong mask = 0;
            foreach (var item in text.Split(','))
            {
                mask |= ParseItem(item);
            }

            return mask;
        }

        private ulong ParseItem(string item)
        {
            if (item.Length == 0)
            {
                throw Error("an empty list item");
            }

            var slash = item.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? item : item[..slash];
            var step = 1;
            if (slash >= 0)
            {
                var stepText = item[(slash + 1)..];
                if (!int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1 || step > Max + 1)
                {
                    throw Error($"the step '/{stepText}' (must be a number from 1 to {Max + 1})");
                }
            }

            int from, to;
            if (range == "*")
            {
                (from, to) = (Min, Max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (dash < 0)
                {
                    if (slash >= 0)
                    {
                        // NCrontab reads "5/15" differently from Vixie cron; refuse rather than guess.
                        throw Error($"'{item}': a step needs '*' or a range before it (e.g. */15 or 5-59/15)");
                    }

                    from = to = Value(range);
                }
                else
                {
                    (from, to) = (Value(range[..dash]), Value(range[(dash + 1)..]));
                    if (from > to)
                    {
                        throw Error($"the range '{range}' (its start is after its end)");
                    }
                }
            }

            ulong mask = 0;
            for (var value = from; value <= to; value += step)
            {
                mask |= 1UL << value;
            }

            return mask;
        }

        private int Value(string text)
        {
            if (text.Length == 0)
            {
                throw Error("a missing number");
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return number >= Min && number <= Max ? number : throw Error($"'{text}' (must be {Min}-{Max})");
            }

            var index = Names is null ? -1 : Array.IndexOf(Names, text.ToLowerInvariant());
            return index >= 0 ? index + Min : throw Error($"'{text}'");
        }

        private FormatException Error(string what) => new($"the {Name} field has {what}.");
    }
}
