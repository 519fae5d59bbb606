namespace McpFunctions.Adapters.Webhooks;

/// <summary>When to try a failed delivery again: exponential backoff with full jitter, capped.</summary>
/// <remarks>Full jitter (a uniform pick between zero and the ceiling) spreads the retries of many events that failed
/// together, e.g. during a receiver outage, instead of sending them back in lockstep.</remarks>
public sealed class WebhookBackoff(Func<double> unitRandom)
{
    public static readonly TimeSpan Base = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Cap = TimeSpan.FromHours(1);

    public WebhookBackoff()
        : this(Random.Shared.NextDouble)
    {
    }

    /// <summary>The largest delay after <paramref name="failedAttempts"/> failures: 30 s, 1 min, 2 min, … up to 1 h.</summary>
    public static TimeSpan Ceiling(int failedAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        // 2^7 × 30 s already exceeds the cap; clamping the exponent keeps the arithmetic far from overflow.
        var factor = 1L << Math.Min(failedAttempts - 1, 16);
        return TimeSpan.FromTicks(Math.Min(Cap.Ticks, Base.Ticks * factor));
    }

    public TimeSpan Next(int failedAttempts) => TimeSpan.FromTicks((long)(Ceiling(failedAttempts).Ticks * Math.Clamp(unitRandom(), 0, 1)));
}
