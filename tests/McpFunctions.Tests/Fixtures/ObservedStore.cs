using McpFunctions.Core.Connections;

namespace McpFunctions.Tests.Fixtures;

/// <summary>The real store with hooks around replacements and the sweep's query, so a test can act at an exact point of
/// a re-wrap pass (write concurrently just before it, cancel it after the n-th write, make calls in the middle of it) or
/// of a sweep (hold its writes until another sweep has read the same due connections).</summary>
internal sealed class ObservedStore(IConnectionStore inner) : IConnectionStore
{
    private int replaced;

    /// <summary>Runs before each replacement the pass attempts.</summary>
    public Func<Connection, Task>? BeforeReplace { get; init; }

    /// <summary>Runs after each successful replacement, with how many there have been.</summary>
    public Func<int, Task>? AfterReplace { get; init; }

    /// <summary>Runs after each query for connections due for refresh, with its result.</summary>
    public Func<QueryPage, Task>? AfterQueryDue { get; init; }

    public Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken) => inner.ReadAsync(key, cancellationToken);

    public Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken) => inner.ReadLatestAsync(key, cancellationToken);

    public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken) =>
        inner.ListAsync(tenantId, userId, cancellationToken);

    public Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken) => inner.TryCreateAsync(connection, cancellationToken);

    public async Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken)
    {
        if (BeforeReplace is { } before)
        {
            await before(connection);
        }

        var written = await inner.TryReplaceAsync(connection, etag, cancellationToken);
        if (written is not null && AfterReplace is { } after)
        {
            await after(Interlocked.Increment(ref replaced));
        }

        return written;
    }

    public Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public async Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var page = await inner.QueryDueForRefreshAsync(now, limit, cancellationToken);
        if (AfterQueryDue is { } after)
        {
            await after(page);
        }

        return page;
    }

    public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken) =>
        inner.QueryNotUnderKeyAsync(keyId, limit, cancellationToken);

    public Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken) => inner.CountByKeyAsync(cancellationToken);
}
