using System.Collections.Concurrent;
using McpFunctions.Adapters.Redis;
using McpFunctions.Core.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace McpFunctions.Adapters.Caching;

/// <summary>Reuses recent point reads of connection documents, so a tool call costs no Cosmos round trip.</summary>
/// <remarks>
/// Only the stored form is cached (the credential still sealed), only in process memory, never in Redis.
/// Every write through this store evicts the entry here and publishes the key on a Redis channel so
/// other instances evict it too; if Redis is down, entries still expire after the TTL. A stale entry
/// can never cause a lost update: every write is conditional on the ETag, and a failed write evicts.
/// A read that was in flight during an eviction does not put what it read into the cache: every eviction bumps
/// the key's generation, and a read stores its result only if the generation it started with is still current.
/// Otherwise it could bring back a credential just disconnected or replaced, for as long as the entry lives.
/// </remarks>
public sealed class CachedConnectionStore : IConnectionStore, IDisposable
{
    public const string InvalidationChannel = "mcpfunctions:connections:evict";

    private readonly IConnectionStore inner;
    private readonly RedisConnection redis;
    private readonly TimeProvider clock;
    private readonly ILogger<CachedConnectionStore> logger;
    private readonly TimeSpan ttl;
    private readonly int maxEntries;
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>Keys with reads in flight; guarded by <see cref="gate"/>, which also orders every change to <see cref="entries"/>.</summary>
    private readonly Dictionary<string, ReadsInFlight> reads = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly Lazy<Task> subscription;

    public CachedConnectionStore(
        IConnectionStore inner,
        RedisConnection redis,
        TimeProvider clock,
        IOptions<ConnectionCacheOptions> options,
        ILogger<CachedConnectionStore> logger)
    {
        this.inner = inner;
        this.redis = redis;
        this.clock = clock;
        this.logger = logger;
        ttl = TimeSpan.FromSeconds(Math.Max(0, options.Value.ConnectionSeconds));
        maxEntries = Math.Max(1, options.Value.MaxEntries);
        subscription = new Lazy<Task>(SubscribeAsync);
    }

    public async Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        if (ttl == TimeSpan.Zero)
        {
            return await inner.ReadAsync(key, cancellationToken);
        }

        _ = subscription.Value;
        var cacheKey = CacheKey(key);
        var now = clock.GetUtcNow();
        if (entries.TryGetValue(cacheKey, out var entry) && entry.ExpiresAt > now)
        {
            return entry.Value;
        }

        var ticket = BeginRead(cacheKey);
        StoredConnection? stored = null;
        try
        {
            stored = await inner.ReadAsync(key, cancellationToken);
            return stored;
        }
        finally
        {
            EndRead(cacheKey, ticket, stored is null ? null : new Entry(stored, now + ttl));
        }
    }

    public async Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        Evict(CacheKey(key));
        return await inner.ReadLatestAsync(key, cancellationToken);
    }

    public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        inner.QueryDueForRefreshAsync(now, limit, cancellationToken);

    public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken) =>
        inner.QueryNotUnderKeyAsync(keyId, limit, cancellationToken);

    public Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken) => inner.CountByKeyAsync(cancellationToken);

    public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken) =>
        inner.ListAsync(tenantId, userId, cancellationToken);

    public async Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken) =>
        await EvictAfterAsync(connection.Key, inner.TryCreateAsync(connection, cancellationToken));

    public async Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken) =>
        await EvictAfterAsync(connection.Key, inner.TryReplaceAsync(connection, etag, cancellationToken));

    public async Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken) =>
        await EvictAfterAsync(key, inner.DeleteAsync(key, cancellationToken));

    public void Dispose() => entries.Clear();

    /// <summary>Evicts after the write whatever its outcome: success changed the document, failure means ours was stale.</summary>
    private async Task<T> EvictAfterAsync<T>(ConnectionKey key, Task<T> write)
    {
        try
        {
            return await write;
        }
        finally
        {
            var cacheKey = CacheKey(key);
            Evict(cacheKey);
            await PublishAsync(cacheKey);
        }
    }

    private Ticket BeginRead(string cacheKey)
    {
        lock (gate)
        {
            if (!reads.TryGetValue(cacheKey, out var inFlight))
            {
                inFlight = new ReadsInFlight();
                reads[cacheKey] = inFlight;
            }

            inFlight.Readers++;
            return new Ticket(inFlight, inFlight.Generation);
        }
    }

    /// <summary>Caches what the read found, unless the key was evicted since the read began (then it may be older than the eviction).</summary>
    private void EndRead(string cacheKey, Ticket ticket, Entry? entry)
    {
        lock (gate)
        {
            if (entry is not null && ticket.InFlight.Generation == ticket.Generation)
            {
                if (entries.Count >= maxEntries)
                {
                    entries.Clear();
                }

                entries[cacheKey] = entry;
            }

            if (--ticket.InFlight.Readers == 0)
            {
                reads.Remove(cacheKey);
            }
        }
    }

    /// <summary>Drops the entry and invalidates every read of the key in flight.</summary>
    private void Evict(string cacheKey)
    {
        lock (gate)
        {
            if (reads.TryGetValue(cacheKey, out var inFlight))
            {
                inFlight.Generation++;
            }

            entries.TryRemove(cacheKey, out _);
        }
    }

    private async Task PublishAsync(string cacheKey)
    {
        if (ttl == TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var database = await redis.DatabaseAsync();
            await database.Multiplexer.GetSubscriber().PublishAsync(Channel, cacheKey);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
        {
            // Other instances fall back to the TTL; correctness never depends on this message.
            logger.LogWarning("Could not publish a connection cache eviction: {Reason}", ex.GetType().Name);
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            var database = await redis.DatabaseAsync();
            await database.Multiplexer.GetSubscriber().SubscribeAsync(Channel, (channel, message) => Evict((string)message!));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning("Connection cache runs without cross-instance eviction (entries expire after {Seconds} s): {Reason}", ttl.TotalSeconds, ex.GetType().Name);
        }
    }

    /// <summary>Tenant, user, provider and account: ids only, nothing secret, so it may travel through Redis.</summary>
    private static string CacheKey(ConnectionKey key) => key.PartitionKey + "|" + key.DocumentId;

    private static readonly RedisChannel Channel = new(InvalidationChannel, RedisChannel.PatternMode.Literal);

    private sealed record Entry(StoredConnection Value, DateTimeOffset ExpiresAt);

    /// <summary>The reads of one key in flight, and how many evictions they have seen (only while some are in flight,
    /// so this stays as small as the number of concurrent reads).</summary>
    private sealed class ReadsInFlight
    {
        public int Readers { get; set; }

        public long Generation { get; set; }
    }

    private readonly record struct Ticket(ReadsInFlight InFlight, long Generation);
}
