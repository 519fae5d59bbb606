namespace McpFunctions.Core.Providers;

/// <summary>One outbound HTTP call to a provider's API, relative to its base URL.</summary>
/// <param name="PathAndQuery">Relative path and query, already encoded; must stay under the base URL.</param>
/// <param name="JsonBody">A UTF-8 JSON body, or empty for none.</param>
public sealed record ProviderCall(string Method, string PathAndQuery, ReadOnlyMemory<byte> JsonBody = default)
{
    /// <summary>Safe to retry: the provider sees no change from a repeated call.</summary>
    public bool IsIdempotent => Method is "GET" or "HEAD" or "OPTIONS" or "PUT" or "DELETE";
}

/// <summary>What a provider answered: status and the (size-capped) body.</summary>
public sealed record ProviderReply(int Status, ReadOnlyMemory<byte> Body)
{
    /// <summary>The provider's Retry-After, when it sent one (429, 503).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public bool IsSuccess => Status is >= 200 and < 300;
}
