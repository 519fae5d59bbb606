using System.Collections.Concurrent;
using System.Globalization;
using McpFunctions.Adapters.Caching;
using McpFunctions.Adapters.Redis;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace McpFunctions.Tests.Adapters.Caching;

/// <summary>The connection cache never hands out a version older than a write or delete made through it, even when a
/// read was in flight during that write. The interleavings are set exactly by holding the inner store's reads.</summary>
/// <remarks>Redis is unreachable here on purpose: an eviction message from Redis could otherwise arrive late and hide a
/// stale entry, and correctness must not depend on it anyway.</remarks>
public sealed class CachedConnectionStoreTests : IDisposable
{
    private readonly HeldReadsStore inner = new();
    private readonly RedisConnection redis = new(Options.Create(new RedisOptions { ConnectionString = $"127.0.0.1:{OAuthRig.FreePort()}" }));
    private readonly CachedConnectionStore cache;

    public CachedConnectionStoreTests()
    {
        cache = NewCache(maxEntries: 100);
    }

    public void Dispose()
    {
        cache.Dispose();
        redis.Dispose();
    }

    [Fact]
    public async Task ReadAsync_NoWriteBetweenTwoReads_SecondFromTheCache()
    {
        var key = NewKey();
        await inner.TryCreateAsync(Connection(key, "v1"), CancellationToken.None);

        await cache.ReadAsync(key, CancellationToken.None);
        var second = await cache.ReadAsync(key, CancellationToken.None);

        Assert.Equal("v1", second!.Connection.Metadata["v"]);
        Assert.Equal(1, inner.Reads);
    }

    [Fact]
    public async Task ReadAsync_InFlightDuringAReplace_DoesNotCacheTheReplacedVersion()
    {
        var key = NewKey();
        var original = await inner.TryCreateAsync(Connection(key, "v1"), CancellationToken.None);
        var held = inner.HoldNextRead();
        var reading = cache.ReadAsync(key, CancellationToken.None);
        await held.Started;

        var replaced = await cache.TryReplaceAsync(Connection(key, "v2"), original!.ETag, CancellationToken.None);
        held.Release();
        var inFlight = await reading;

        Assert.Equal("v1", inFlight!.Connection.Metadata["v"]);
        var next = await cache.ReadAsync(key, CancellationToken.None);
        Assert.Equal(replaced!.ETag, next!.ETag);
        Assert.Equal("v2", next.Connection.Metadata["v"]);
    }

    [Fact]
    public async Task ReadAsync_InFlightDuringADelete_DoesNotBringTheConnectionBack()
    {
        var key = NewKey();
        await inner.TryCreateAsync(Connection(key, "v1"), CancellationToken.None);
        var held = inner.HoldNextRead();
        var reading = cache.ReadAsync(key, CancellationToken.None);
        await held.Started;

        Assert.True(await cache.DeleteAsync(key, CancellationToken.None));
        held.Release();
        await reading;

        Assert.Null(await cache.ReadAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_InFlightDuringADeleteAndTheCacheStartingOver_DoesNotBringTheConnectionBack()
    {
        using var small = NewCache(maxEntries: 1);
        var (key, other, filler) = (NewKey(), NewKey(), NewKey());
        await inner.TryCreateAsync(Connection(key, "v1"), CancellationToken.None);
        await inner.TryCreateAsync(Connection(other, "v1"), CancellationToken.None);
        await inner.TryCreateAsync(Connection(filler, "v1"), CancellationToken.None);
        await small.ReadAsync(filler, CancellationToken.None);
        var held = inner.HoldNextRead();
        var reading = small.ReadAsync(key, CancellationToken.None);
        await held.Started;

        Assert.True(await small.DeleteAsync(key, CancellationToken.None));
        // The cache is full: this read makes it start over while the first one is still in flight.
        await small.ReadAsync(other, CancellationToken.None);
        held.Release();
        await reading;

        Assert.Null(await small.ReadAsync(key, CancellationToken.None));
    }

    private CachedConnectionStore NewCache(int maxEntries) => new(
        inner,
        redis,
        TimeProvider.System,
        Options.Create(new ConnectionCacheOptions { ConnectionSeconds = 300, MaxEntries = maxEntries }),
        NullLogger<CachedConnectionStore>.Instance);

    private static ConnectionKey NewKey() => new("acme", "user-" + Guid.NewGuid().ToString("N")[..12], "notion", ConnectionKey.DefaultAccount);

    private static Connection Connection(ConnectionKey key, string version) => new(
        key,
        AuthType.ApiKey,
        ConnectionStatus.Active,
        new EncryptedCredential("kek", "wrapped", "nonce", "ciphertext", "tag"),
        [],
        new Dictionary<string, string> { ["v"] = version },
        DateTimeOffset.UnixEpoch);

    /// <summary>An in-memory store with ETags whose next read can be held after it has taken its snapshot, as a Cosmos read
    /// whose answer is still on the wire.</summary>
    private sealed class HeldReadsStore : IConnectionStore
    {
        private readonly ConcurrentDictionary<ConnectionKey, StoredConnection> documents = new();
        private HeldRead? next;
        private int version;
        private int reads;

        public int Reads => Volatile.Read(ref reads);

        public HeldRead HoldNextRead() => next = new HeldRead();

        public async Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref reads);
            var snapshot = documents.GetValueOrDefault(key);
            if (Interlocked.Exchange(ref next, null) is { } held)
            {
                held.MarkStarted();
                await held.Released;
            }

            return snapshot;
        }

        public Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken)
        {
            var stored = new StoredConnection(connection, NextETag());
            return Task.FromResult(documents.TryAdd(connection.Key, stored) ? stored : null);
        }

        public Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken)
        {
            var stored = new StoredConnection(connection, NextETag());
            var replaced = documents.TryGetValue(connection.Key, out var current) && current.ETag == etag
                && documents.TryUpdate(connection.Key, stored, current);
            return Task.FromResult(replaced ? stored : null);
        }

        public Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken) => Task.FromResult(documents.TryRemove(key, out _));

        public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        private string NextETag() => "\"" + Interlocked.Increment(ref version).ToString(CultureInfo.InvariantCulture) + "\"";
    }

    private sealed class HeldRead
    {
        private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the read has taken its snapshot and waits.</summary>
        public Task Started => started.Task;

        public Task Released => released.Task;

        public void MarkStarted() => started.TrySetResult();

        public void Release() => released.TrySetResult();
    }
}
