using System.Diagnostics;
using McpFunctions.Core.Connections;

namespace McpFunctions.Bench;

/// <summary>What a <see cref="CountingConnectionStore"/> saw: calls per kind and the time spent awaiting them.</summary>
/// <param name="PointReads"><c>ReadAsync</c> and <c>ReadLatestAsync</c> calls (cache hits included; the sweep's reads bypass the cache).</param>
/// <param name="QueryItems">Documents the queries returned.</param>
/// <param name="Writes">Creates, replaces and deletes; <paramref name="LostWrites"/> of them found the ETag changed or the document gone.</param>
public sealed record StoreCounts(
    long Queries, long QueryItems, long PointReads, long Lists, long Writes, long LostWrites, TimeSpan QueryWait, TimeSpan OtherWait)
{
    public StoreCounts Minus(StoreCounts start) => new(
        Queries - start.Queries,
        QueryItems - start.QueryItems,
        PointReads - start.PointReads,
        Lists - start.Lists,
        Writes - start.Writes,
        LostWrites - start.LostWrites,
        QueryWait - start.QueryWait,
        OtherWait - start.OtherWait);
}

/// <summary>Counts every call through <see cref="IConnectionStore"/> and the time awaited, forwarding each unchanged.</summary>
/// <remarks>The bench's proof that a sweep with nothing due reads no document beyond its query's result.</remarks>
public sealed class CountingConnectionStore(IConnectionStore inner) : IConnectionStore
{
    private long queries;
    private long queryItems;
    private long pointReads;
    private long lists;
    private long writes;
    private long lostWrites;
    private long queryTicks;
    private long otherTicks;

    public StoreCounts Snapshot() => new(
        Interlocked.Read(ref queries),
        Interlocked.Read(ref queryItems),
        Interlocked.Read(ref pointReads),
        Interlocked.Read(ref lists),
        Interlocked.Read(ref writes),
        Interlocked.Read(ref lostWrites),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref queryTicks)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref otherTicks)));

    public Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken) =>
        TimeAsync(ref pointReads, () => inner.ReadAsync(key, cancellationToken));

    // Forwarded explicitly: the interface's default would turn it into a (cached) ReadAsync.
    public Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken) =>
        TimeAsync(ref pointReads, () => inner.ReadLatestAsync(key, cancellationToken));

    public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken) =>
        TimeAsync(ref lists, () => inner.ListAsync(tenantId, userId, cancellationToken));

    public Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken) =>
        WriteAsync(() => inner.TryCreateAsync(connection, cancellationToken));

    public Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken) =>
        WriteAsync(() => inner.TryReplaceAsync(connection, etag, cancellationToken));

    public async Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken) =>
        await WriteAsync(async () => await inner.DeleteAsync(key, cancellationToken) ? new object() : null) is not null;

    public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        QueryAsync(() => inner.QueryDueForRefreshAsync(now, limit, cancellationToken));

    public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken) =>
        QueryAsync(() => inner.QueryNotUnderKeyAsync(keyId, limit, cancellationToken));

    public async Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.CountByKeyAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Increment(ref queries);
            Interlocked.Add(ref queryTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private async Task<QueryPage> QueryAsync(Func<Task<QueryPage>> query)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var page = await query();
            Interlocked.Add(ref queryItems, page.Items.Count);
            return page;
        }
        finally
        {
            Interlocked.Increment(ref queries);
            Interlocked.Add(ref queryTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private async Task<T?> WriteAsync<T>(Func<Task<T?>> write)
        where T : class
    {
        var result = await TimeAsync(ref writes, write);
        if (result is null)
        {
            Interlocked.Increment(ref lostWrites);
        }

        return result;
    }

    private Task<T> TimeAsync<T>(ref long counter, Func<Task<T>> call)
    {
        Interlocked.Increment(ref counter);
        return TimedAsync(call);
    }

    private async Task<T> TimedAsync<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call();
        }
        finally
        {
            Interlocked.Add(ref otherTicks, Stopwatch.GetTimestamp() - started);
        }
    }
}
