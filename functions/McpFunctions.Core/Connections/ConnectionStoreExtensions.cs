using McpFunctions.Core.Errors;

namespace McpFunctions.Core.Connections;

/// <summary>Conditional-write loops over <see cref="IConnectionStore"/>: re-read on a lost race, never overwrite blindly.</summary>
public static class ConnectionStoreExtensions
{
    /// <summary>How many lost races a write tolerates before giving up with CONCURRENCY_CONFLICT.</summary>
    public const int MaxAttempts = 8;

    /// <summary>Creates the connection or replaces the current version of it as a whole.</summary>
    public static async Task<StoredConnection> PutAsync(this IConnectionStore store, Connection connection, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(connection.Key, cancellationToken);
            var written = current is null
                ? await store.TryCreateAsync(connection, cancellationToken)
                : await store.TryReplaceAsync(connection, current.ETag, cancellationToken);
            if (written is not null)
            {
                return written;
            }

            await BackOffAsync(attempt, cancellationToken);
        }

        throw Conflict();
    }

    /// <summary>Applies <paramref name="change"/> to the current version until it sticks.</summary>
    /// <returns>The stored result; null when the connection does not exist or <paramref name="change"/> returns null (nothing to do).</returns>
    public static async Task<StoredConnection?> UpdateAsync(
        this IConnectionStore store, ConnectionKey key, Func<Connection, Connection?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(key, cancellationToken);
            if (current is null || change(current.Connection) is not { } changed)
            {
                return null;
            }

            if (await store.TryReplaceAsync(changed, current.ETag, cancellationToken) is { } written)
            {
                return written;
            }

            await BackOffAsync(attempt, cancellationToken);
        }

        throw Conflict();
    }

    /// <summary>A short random pause so that racing writers stop colliding in lockstep.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * (attempt + 1))), cancellationToken);

    private static McpFunctionsException Conflict() =>
        new(ErrorCode.ConcurrencyConflict, "The connection changed concurrently too many times; try again.");
}
