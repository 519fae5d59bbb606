namespace McpFunctions.Adapters.Caching;

/// <summary>Settings of section <c>Cache</c>: the in-process cache of encrypted connection documents.</summary>
public sealed class ConnectionCacheOptions
{
    public const string Section = "Cache";

    /// <summary>How long a read is reused. Writes evict at once (here, and elsewhere via Redis); this bounds
    /// staleness only when Redis cannot deliver an eviction. 0 turns the cache off.</summary>
    public int ConnectionSeconds { get; set; } = 10;

    /// <summary>Entries kept at most; past it the cache starts over rather than growing.</summary>
    public int MaxEntries { get; set; } = 50_000;
}
