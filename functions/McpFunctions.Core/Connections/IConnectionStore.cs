namespace McpFunctions.Core.Connections;

/// <summary>Port: durable storage of connections, partitioned per (tenant, user).</summary>
/// <remarks>Every write is conditional: a create fails if the document exists, a replace fails if the
/// ETag no longer matches. Callers re-read and decide again; nothing overwrites blindly.</remarks>
public interface IConnectionStore
{
    Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken);

    /// <summary>Reads past any cache: for decisions that must see the newest version (refreshing a token).</summary>
    Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken) => ReadAsync(key, cancellationToken);

    Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken);

    /// <summary>Creates the document; returns null when one already exists.</summary>
    Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken);

    /// <summary>Replaces the document if its ETag still matches; returns null on a lost race or if it is gone.</summary>
    Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken);

    /// <summary>Deletes the document; returns false when there was none.</summary>
    Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken);

    /// <summary>Active OAuth connections whose <c>refreshAfter</c> and next attempt time have passed, soonest first, at most <paramref name="limit"/>.</summary>
    /// <remarks>Cross-partition, index-served: the cost follows the number due, not the number stored.</remarks>
    Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Connections whose credential is sealed under a key other than <paramref name="keyId"/>, at most <paramref name="limit"/>.</summary>
    Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken);

    /// <summary>How many credentials are sealed under each key id (an operator's view of a rotation's progress).</summary>
    Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken);
}

/// <summary>The documents a query returned and what the query cost (request units as the store reports them; 0 when it does not).</summary>
public sealed record QueryPage(IReadOnlyList<StoredConnection> Items, double RequestCharge);
