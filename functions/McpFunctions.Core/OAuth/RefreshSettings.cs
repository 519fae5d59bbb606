using McpFunctions.Core.Providers;

namespace McpFunctions.Core.OAuth;

/// <summary>How tokens are refreshed (settings section <c>Refresh</c>).</summary>
/// <param name="Lease">How long one refresher holds a connection; longer than a token request can take.</param>
/// <param name="BackoffBase">The wait after the first failed refresh; doubles per failure, with jitter.</param>
/// <param name="MaxFailuresAfterExpiry">Failed refreshes tolerated once the access token has expired before the connection is marked needs_reauth.</param>
/// <param name="SweepBatchSize">Connections fetched per sweep query.</param>
/// <param name="SweepParallelism">Refreshes a sweep runs at once on this instance.</param>
/// <param name="SweepMaxPerRun">A bound on one sweep's work; the rest waits for the next run.</param>
public sealed record RefreshSettings(
    TimeSpan Lease,
    TimeSpan BackoffBase,
    TimeSpan BackoffMax,
    int MaxFailuresAfterExpiry,
    int SweepBatchSize,
    int SweepParallelism,
    int SweepMaxPerRun)
{
    public static readonly RefreshSettings Default = new(
        Lease: TimeSpan.FromSeconds(30),
        BackoffBase: TimeSpan.FromSeconds(30),
        BackoffMax: TimeSpan.FromHours(1),
        MaxFailuresAfterExpiry: 3,
        SweepBatchSize: 200,
        SweepParallelism: 8,
        SweepMaxPerRun: 20_000);

    /// <summary>Exponential backoff with equal jitter (half fixed, half random), never shorter than the provider's Retry-After.</summary>
    public TimeSpan Backoff(int failures, TimeSpan? retryAfter)
    {
        var exponent = Math.Clamp(failures - 1, 0, 20);
        var ceiling = Math.Min(BackoffMax.TotalSeconds, BackoffBase.TotalSeconds * Math.Pow(2, exponent));
        var delay = TimeSpan.FromSeconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
        return retryAfter is { } wait && wait > delay ? wait : delay;
    }

    /// <summary>When a token set should next be refreshed: the margin before the access token expires, a day before an
    /// expiring refresh token lapses (half-way when it lapses sooner), and half-way through a provider's idle limit.
    /// Null when it never needs to (no refresh token, or nothing expires).</summary>
    public static DateTimeOffset? RefreshAfter(
        DateTimeOffset now, DateTimeOffset? expiresAt, DateTimeOffset? refreshTokenExpiresAt, bool hasRefreshToken, OAuthSettings oauth)
    {
        if (!hasRefreshToken)
        {
            return null;
        }

        DateTimeOffset? due = expiresAt - oauth.RefreshMargin;
        if (refreshTokenExpiresAt is { } lapse)
        {
            // A day ahead, or half-way when less than two days remain: "a day before" a closer lapse has already
            // passed, and the connection would be due again right after every refresh.
            var ahead = TimeSpan.FromTicks(Math.Clamp((lapse - now).Ticks / 2, 0, TimeSpan.TicksPerDay));
            due = Earliest(due, lapse - ahead);
        }

        if (oauth.RefreshTokenIdleDays is { } idleDays)
        {
            due = Earliest(due, now + TimeSpan.FromDays(idleDays / 2.0));
        }

        return due;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
