namespace McpFunctions.Core.Connections;

/// <summary>Connection times are stored in whole seconds; this is the rounding for the ones that mean "not before".</summary>
/// <remarks>Other times may round down (a token treated as expiring a little early is refreshed a little early); a "not
/// before" may not: rounded down, a retry would come up to a second before the backoff, or the provider's Retry-After,
/// allows, and a one-second Retry-After would be no wait at all.</remarks>
public static class WholeSecond
{
    /// <summary>The first whole second at or after <paramref name="at"/>.</summary>
    public static DateTimeOffset NotBefore(DateTimeOffset at)
    {
        var second = DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());
        return second < at ? second.AddSeconds(1) : second;
    }
}
