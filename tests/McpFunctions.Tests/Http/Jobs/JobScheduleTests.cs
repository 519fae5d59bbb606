using System.Globalization;
using McpFunctions.Http.Jobs;

namespace McpFunctions.Tests.Http.Jobs;

/// <summary>Our schedules as NCrontab (the Functions host's evaluator) reads them: the cases our own parser was held to.</summary>
public sealed class JobScheduleTests
{
    [Theory]
    [InlineData("0 */5 * * * *", "2026-03-10T12:03:27Z", "2026-03-10T12:05:00Z")]
    [InlineData("0 */5 * * * *", "2026-03-10T12:05:00Z", "2026-03-10T12:10:00Z")] // strictly after
    [InlineData("0 */5 * * * *", "2026-03-10T12:04:59.999Z", "2026-03-10T12:05:00Z")]
    [InlineData("0 17 * * * *", "2026-03-10T10:16:59Z", "2026-03-10T10:17:00Z")]
    [InlineData("0 17 * * * *", "2026-03-10T10:17:00.500Z", "2026-03-10T11:17:00Z")]
    [InlineData("0 17 * * * *", "2026-03-10T23:30:00Z", "2026-03-11T00:17:00Z")]
    [InlineData("0 */1 * * * *", "2026-12-31T23:59:30Z", "2027-01-01T00:00:00Z")]
    [InlineData("*/15 * * * * *", "2026-03-10T10:00:14.999Z", "2026-03-10T10:00:15Z")]
    [InlineData("*/15 * * * * *", "2026-03-10T10:00:45Z", "2026-03-10T10:01:00Z")]
    [InlineData("5-10/2 * * * * *", "2026-03-10T10:00:07Z", "2026-03-10T10:00:09Z")]
    [InlineData("5-10/2 * * * * *", "2026-03-10T10:00:09Z", "2026-03-10T10:01:05Z")]
    [InlineData("0 0,30 8-9 * * *", "2026-03-10T09:30:00Z", "2026-03-11T08:00:00Z")]
    [InlineData("0 30 9 * * 1-5", "2026-03-13T10:00:00Z", "2026-03-16T09:30:00Z")] // Friday → Monday
    [InlineData("0 0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z")] // February has no 31st
    [InlineData("0 0 0 31 * *", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z")] // nor April
    [InlineData("0 0 0 29 2 *", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z")] // leap day
    [InlineData("0 0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-02-13T00:00:00Z")] // Friday the 13th: both day fields must match
    [InlineData("0 0 12 1 Jan,Jul Sun", "2026-01-01T00:00:00Z", "2029-07-01T12:00:00Z")] // names; the first 1 January or 1 July on a Sunday
    [InlineData("0 0 12 * mar-may sat", "2026-01-01T00:00:00Z", "2026-03-07T12:00:00Z")]
    [InlineData("0 0 0 * * 0", "2026-03-14T12:00:00Z", "2026-03-15T00:00:00Z")] // 0 is Sunday
    [InlineData("59 59 23 31 12 *", "2026-06-01T00:00:00Z", "2026-12-31T23:59:59Z")]
    [InlineData("0 0 0 1 1 *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z")]
    public void Next_ReturnsTheFirstOccurrenceStrictlyAfter(string expression, string after, string expected)
    {
        var schedule = Parse(expression);

        var next = schedule.Next(At(after));

        Assert.Equal(At(expected), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Fact]
    public void Next_WithAnOffsetInput_WorksInUtc()
    {
        // 01:00 at +02:00 is 23:00 UTC the day before: the next UTC midnight is the same calendar day as the input.
        var next = Parse("0 0 0 * * *").Next(new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.FromHours(2)));

        Assert.Equal(At("2026-01-01T00:00:00Z"), next);
    }

    [Theory]
    [InlineData("*/5 * * * *", "expected 6 fields")]
    [InlineData("0 0 */5 * * * *", "expected 6 fields")]
    [InlineData("", "expected 6 fields")]
    [InlineData("   ", "expected 6 fields")]
    [InlineData("00:05:00", "expected 6 fields")] // the App Service TimeSpan form is not NCRONTAB
    [InlineData("60 * * * * *", "60")]
    [InlineData("0 60 * * * *", "60")]
    [InlineData("0 0 24 * * *", "24")]
    [InlineData("0 0 0 0 * *", "0")]
    [InlineData("0 0 0 32 * *", "32")]
    [InlineData("0 0 0 * 13 *", "13")]
    [InlineData("0 0 0 * Foo *", "Foo")]
    [InlineData("*/x * * * * *", "x")]
    [InlineData("0 0 0 30 2 *", "never fires")]
    [InlineData("0 0 0 31 4,6,9,11 *", "never fires")]
    [InlineData("0 0 0 ? * *", "?")]
    public void TryParse_Invalid_SaysWhy(string expression, string expected)
    {
        Assert.False(JobSchedule.TryParse(expression, out var schedule, out var reason));

        Assert.Null(schedule);
        Assert.Contains(expected, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NormalisesWhitespaceAndKeepsTheExpression()
    {
        var schedule = Parse("  0  */5 *\t* * *  ");

        Assert.Equal("0 */5 * * * *", schedule.Expression);
        Assert.Equal("0 */5 * * * *", schedule.ToString());
    }

    [Fact]
    public void TryParse_Null_IsRefused()
    {
        Assert.False(JobSchedule.TryParse(null, out _, out var reason));
        Assert.NotNull(reason);
    }

    [Fact]
    public void Parse_LeapDayOnAWeekday_IsValidAndFound()
    {
        // 29 February falls on a Monday only every few leap years (2044 after 2028's Tuesday, 2032's Sunday...).
        var next = Parse("0 0 0 29 2 1").Next(At("2026-01-01T00:00:00Z"));

        Assert.Equal(2, next.Month);
        Assert.Equal(29, next.Day);
        Assert.Equal(DayOfWeek.Monday, next.DayOfWeek);
        Assert.Equal(2044, next.Year);
    }

    private static JobSchedule Parse(string expression) =>
        JobSchedule.TryParse(expression, out var schedule, out var error) ? schedule! : throw new FormatException(error);

    private static DateTimeOffset At(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
