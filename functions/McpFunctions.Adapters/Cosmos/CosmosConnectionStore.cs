using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Core.Connections;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Adapters.Cosmos;

/// <summary><see cref="IConnectionStore"/> on Cosmos DB: point reads by (pk, id), conditional writes by ETag.</summary>
/// <remarks>Uses the stream APIs so expected outcomes (404, 409, 412) are status codes, not exceptions,
/// and serialization is ours (source-generated, no reflection).</remarks>
public sealed class CosmosConnectionStore(
    CosmosContainers containers,
    JsonTypeInfo<ConnectionDocument> documentType,
    JsonTypeInfo<CosmosFeedPage<ConnectionDocument>> pageType) : IConnectionStore
{
    public async Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        using var response = await container.ReadItemStreamAsync(key.DocumentId, new PartitionKey(key.PartitionKey), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && !containers.OwnerMissing(response))
        {
            return null;
        }

        EnsureSuccess(response, "read");
        return (await DeserializeAsync(response, cancellationToken)).ToStored();
    }

    public async Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        var partitionKey = ConnectionKey.OwnerPartitionKey(tenantId, userId);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk").WithParameter("@pk", partitionKey);
        var results = new List<StoredConnection>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(partitionKey) });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            EnsureSuccess(response, "query");
            var page = await JsonSerializer.DeserializeAsync(response.Content, pageType, cancellationToken)
                ?? throw new InvalidOperationException("Cosmos DB returned an empty query page.");
            // Defence in depth: the partition key already confines the query to this user.
            results.AddRange(page.Documents.Where(d => d.TenantId == tenantId && d.UserId == userId).Select(d => d.ToStored()));
        }

        return results;
    }

    public async Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        using var body = Serialize(connection);
        using var response = await container.CreateItemStreamAsync(body, new PartitionKey(connection.Key.PartitionKey), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }

        EnsureSuccess(response, "create");
        return (await DeserializeAsync(response, cancellationToken)).ToStored();
    }

    public async Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        using var body = Serialize(connection);
        using var response = await container.ReplaceItemStreamAsync(
            body,
            connection.Key.DocumentId,
            new PartitionKey(connection.Key.PartitionKey),
            new ItemRequestOptions { IfMatchEtag = etag },
            cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "replace");
        return (await DeserializeAsync(response, cancellationToken)).ToStored();
    }

    public async Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        using var response = await container.DeleteItemStreamAsync(key.DocumentId, new PartitionKey(key.PartitionKey), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "delete");
        return true;
    }

    public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // TOP takes a literal: the emulator-compatible servers we test on do not accept a parameter there.
        var query = new QueryDefinition(
                $"SELECT TOP {limit} * FROM c WHERE c.authType = 'oauth2' AND c.status = 'active' AND c.refreshAfter <= @now "
                + "AND (NOT IS_DEFINED(c.nextRefreshAttemptAt) OR IS_NULL(c.nextRefreshAttemptAt) OR c.nextRefreshAttemptAt <= @now) "
                + "ORDER BY c.refreshAfter")
            .WithParameter("@now", now.ToUnixTimeSeconds());
        return QueryAsync(query, limit, cancellationToken);
    }

    public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var query = new QueryDefinition($"SELECT TOP {limit} * FROM c WHERE c.credential.keyId != @keyId").WithParameter("@keyId", keyId);
        return QueryAsync(query, limit, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken)
    {
        // GROUP BY would do this server-side, but the local Cosmos-compatible server lacks it; key ids are
        // tiny and this is an operator's path, so counting the projected ids here is cheap enough.
        var container = await containers.ConnectionsAsync(cancellationToken);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        using var iterator = container.GetItemQueryStreamIterator(new QueryDefinition("SELECT VALUE c.credential.keyId FROM c"));
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            EnsureSuccess(response, "query");
            using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
            foreach (var keyId in page.RootElement.GetProperty("Documents").EnumerateArray())
            {
                var id = keyId.GetString() ?? "";
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }

        return counts;
    }

    private async Task<QueryPage> QueryAsync(QueryDefinition query, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.ConnectionsAsync(cancellationToken);
        var results = new List<StoredConnection>();
        var charge = 0.0;
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { MaxItemCount = limit });
        while (iterator.HasMoreResults && results.Count < limit)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            EnsureSuccess(response, "query");
            charge += response.Headers.RequestCharge;
            var page = await JsonSerializer.DeserializeAsync(response.Content, pageType, cancellationToken)
                ?? throw new InvalidOperationException("Cosmos DB returned an empty query page.");
            results.AddRange(page.Documents.Select(d => d.ToStored()));
        }

        return new QueryPage(results, charge);
    }

    private MemoryStream Serialize(Connection connection) =>
        new(JsonSerializer.SerializeToUtf8Bytes(ConnectionDocument.From(connection), documentType));

    private async Task<ConnectionDocument> DeserializeAsync(ResponseMessage response, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync(response.Content, documentType, cancellationToken)
            ?? throw new InvalidOperationException("Cosmos DB returned an empty document.");

    private void EnsureSuccess(ResponseMessage response, string operation) =>
        containers.ThrowIfFailed(response, CosmosContainers.ConnectionsContainer + " " + operation);
}
