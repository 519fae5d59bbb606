namespace McpFunctions.Core.Connections;

/// <summary>Port: durable storage of connections, partitioned per (tenant, user).</summary>
/// <remarks>Every write is conditional: a create fails if the document exists, a replace fails if the
/// ETag no longer matches. Callers re-read and decide again; nothing overwrites blindly.</remarks>
public interface IConnectionStore
{
    Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken);

    /// <summary>Creates the document; returns null when one already exists.</summary>
    Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken);

    /// <summary>Replaces the document if its ETag still matches; returns null on a lost race or if it is gone.</summary>
    Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken);

    /// <summary>Deletes the document; returns false when there was none.</summary>
    Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken);
}
