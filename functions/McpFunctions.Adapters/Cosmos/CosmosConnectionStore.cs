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
        if (response.StatusCode == HttpStatusCode.NotFound)
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

    private MemoryStream Serialize(Connection connection) =>
        new(JsonSerializer.SerializeToUtf8Bytes(ConnectionDocument.From(connection), documentType));

    private async Task<ConnectionDocument> DeserializeAsync(ResponseMessage response, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync(response.Content, documentType, cancellationToken)
            ?? throw new InvalidOperationException("Cosmos DB returned an empty document.");

    private static void EnsureSuccess(ResponseMessage response, string operation)
    {
        if (!response.IsSuccessStatusCode)
        {
            // The status and Cosmos' own message only: our documents never appear in Cosmos errors' text we log.
            throw new CosmosStoreException($"Cosmos DB {operation} failed with {(int)response.StatusCode} {response.StatusCode}.", response.StatusCode);
        }
    }
}

/// <summary>A Cosmos DB failure that is not an expected outcome (404/409/412) of the operation.</summary>
public sealed class CosmosStoreException : Exception
{
    public CosmosStoreException(string message, HttpStatusCode status)
        : base(message)
    {
        Status = status;
    }

    public CosmosStoreException()
    {
    }

    public CosmosStoreException(string message)
        : base(message)
    {
    }

    public CosmosStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode Status { get; }
}
