using System.Collections.Concurrent;
using System.Globalization;
using McpFunctions.Core.Connections;

namespace McpFunctions.Tests.Fixtures;

/// <summary>An in-memory <see cref="IConnectionStore"/> with ETags and the port's documented query contracts, counting
/// every call, for unit tests of the use cases.</summary>
/// <remarks>Hooks let a test act at an exact point: just before a replacement or a read past the cache, as another
/// instance writing in between would. <see cref="Overwrite"/> is that other writer: a new ETag, no hooks, not counted.</remarks>
internal sealed class InMemoryConnectionStore : IConnectionStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<ConnectionKey, StoredConnection> documents = [];
    private readonly ConcurrentQueue<(DateTimeOffset Now, int Limit)> dueQueries = new();
    private int version;
    private int reads;
    private int latestReads;
    private int lists;
    private int replaces;
    private int lostReplaces;

    /// <summary>Runs before each <see cref="TryReplaceAsync"/>, with the version about to be written.</summary>
    public Func<Connection, Task>? BeforeReplace { get; set; }

    /// <summary>Runs before each <see cref="ReadLatestAsync"/>.</summary>
    public Func<ConnectionKey, Task>? BeforeReadLatest { get; set; }

    /// <summary>What each query reports it cost.</summary>
    public double RequestChargePerQuery { get; init; } = 2.5;

    public int Reads => Volatile.Read(ref reads);

    public int LatestReads => Volatile.Read(ref latestReads);

    public int Lists => Volatile.Read(ref lists);

    /// <summary>Replacements attempted, won or lost.</summary>
    public int Replaces => Volatile.Read(ref replaces);

    /// <summary>Replacements that found the ETag changed or the document gone.</summary>
    public int LostReplaces => Volatile.Read(ref lostReplaces);

    /// <summary>The arguments of every <see cref="QueryDueForRefreshAsync"/>, in order.</summary>
    public IReadOnlyList<(DateTimeOffset Now, int Limit)> DueQueries => [.. dueQueries];

    /// <summary>Creates or replaces the document as a test's given state.</summary>
    public StoredConnection Seed(Connection connection)
    {
        lock (gate)
        {
            var stored = new StoredConnection(connection, NextETag());
            documents[connection.Key] = stored;
            return stored;
        }
    }

    /// <summary>Changes the document as another process would; null when there is none.</summary>
    public StoredConnection? Overwrite(ConnectionKey key, Func<Connection, Connection> change)
    {
        lock (gate)
        {
            if (!documents.TryGetValue(key, out var current))
            {
                return null;
            }

            var stored = new StoredConnection(change(current.Connection), NextETag());
            documents[key] = stored;
            return stored;
        }
    }

    /// <summary>The document as stored now, bypassing counters and hooks.</summary>
    public StoredConnection? Current(ConnectionKey key)
    {
        lock (gate)
        {
            return documents.GetValueOrDefault(key);
        }
    }

    public void Remove(ConnectionKey key)
    {
        lock (gate)
        {
            documents.Remove(key);
        }
    }

    public Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref reads);
        return Task.FromResult(Current(key));
    }

    public async Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref latestReads);
        if (BeforeReadLatest is { } before)
        {
            await before(key);
        }

        return Current(key);
    }

    public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref lists);
        lock (gate)
        {
            IReadOnlyList<StoredConnection> owned = [.. documents.Values.Where(s => s.Connection.Key.TenantId == tenantId && s.Connection.Key.UserId == userId)];
            return Task.FromResult(owned);
        }
    }

    public Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (documents.ContainsKey(connection.Key))
            {
                return Task.FromResult<StoredConnection?>(null);
            }

            var stored = new StoredConnection(connection, NextETag());
            documents[connection.Key] = stored;
            return Task.FromResult<StoredConnection?>(stored);
        }
    }

    public async Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref replaces);
        if (BeforeReplace is { } before)
        {
            await before(connection);
        }

        lock (gate)
        {
            if (!documents.TryGetValue(connection.Key, out var current) || current.ETag != etag)
            {
                Interlocked.Increment(ref lostReplaces);
                return null;
            }

            var stored = new StoredConnection(connection, NextETag());
            documents[connection.Key] = stored;
            return stored;
        }
    }

    public Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(documents.Remove(key));
        }
    }

    /// <summary>As the port documents it: active OAuth connections whose refreshAfter and next attempt have passed, soonest first.</summary>
    public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        dueQueries.Enqueue((now, limit));
        lock (gate)
        {
            IReadOnlyList<StoredConnection> due =
            [
                .. documents.Values
                    .Where(s => s.Connection is { AuthType: AuthType.OAuth2, Status: ConnectionStatus.Active, RefreshAfter: { } at } c
                        && at <= now && !(c.NextRefreshAttemptAt > now))
                    .OrderBy(s => s.Connection.RefreshAfter)
                    .Take(limit),
            ];
            return Task.FromResult(new QueryPage(due, RequestChargePerQuery));
        }
    }

    public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<StoredConnection> items = [.. documents.Values.Where(s => s.Connection.Credential.KeyId != keyId).Take(limit)];
            return Task.FromResult(new QueryPage(items, RequestChargePerQuery));
        }
    }

    public Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyDictionary<string, int> counts = documents.Values
                .GroupBy(s => s.Connection.Credential.KeyId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return Task.FromResult(counts);
        }
    }

    private string NextETag() => "\"" + (++version).ToString(CultureInfo.InvariantCulture) + "\"";
}
