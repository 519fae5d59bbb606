using McpFunctions.Core.Configuration;

namespace McpFunctions.Adapters.Caching;

/// <summary>Settings of section <c>Cache</c>: the in-process cache of encrypted connection documents.</summary>
public sealed class ConnectionCacheOptions : IValidatedOptions
{
    public const string Section = "Cache";

    /// <summary>How long a read is reused. Writes evict at once (here, and elsewhere via Redis); this bounds
    /// staleness only when Redis cannot deliver an eviction. 0 turns the cache off.</summary>
    public int ConnectionSeconds { get; set; } = 10;

    /// <summary>Entries kept at most; past it the cache starts over rather than growing.</summary>
    public int MaxEntries { get; set; } = 50_000;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (ConnectionSeconds is < 0 or > 3600)
        {
            problems.Add("Cache:ConnectionSeconds must be 0..3600.");
        }

        if (MaxEntries is < 1 or > 10_000_000)
        {
            problems.Add("Cache:MaxEntries must be 1..10000000.");
        }

        return problems;
    }
}
