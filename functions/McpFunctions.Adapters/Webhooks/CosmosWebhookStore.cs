using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Adapters.Cosmos;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>The outbox documents on Cosmos DB: create, due query, ETag-conditional replace.</summary>
/// <remarks>Stream APIs, as in <see cref="CosmosConnectionStore"/>: 409 and 412 are outcomes, not exceptions.</remarks>
public sealed class CosmosWebhookStore(
    CosmosContainers containers,
    JsonTypeInfo<WebhookDocument> documentType,
    JsonTypeInfo<CosmosFeedPage<WebhookDocument>> pageType)
{
    /// <returns>The stored document with its ETag; null when one with this id exists already.</returns>
    public async Task<WebhookDocument?> TryCreateAsync(WebhookDocument document, CancellationToken cancellationToken)
    {
        var container = await containers.WebhooksAsync(cancellationToken);
        using var body = Serialize(document);
        using var response = await container.CreateItemStreamAsync(body, new PartitionKey(document.Id), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }

        EnsureSuccess(response, "create");
        return await DeserializeAsync(response, cancellationToken);
    }

    public async Task<WebhookDocument?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.WebhooksAsync(cancellationToken);
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(id), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "read");
        return await DeserializeAsync(response, cancellationToken);
    }

    /// <returns>The stored document with its new ETag; null when it changed since <paramref name="etag"/> or is gone.</returns>
    public async Task<WebhookDocument?> TryReplaceAsync(WebhookDocument document, string etag, CancellationToken cancellationToken)
    {
        var container = await containers.WebhooksAsync(cancellationToken);
        using var body = Serialize(document with { ETag = null });
        using var response = await container.ReplaceItemStreamAsync(
            body, document.Id, new PartitionKey(document.Id), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "replace");
        return await DeserializeAsync(response, cancellationToken);
    }

    /// <summary>Pending events whose next attempt is due, oldest due first (cross-partition: the job's path only).</summary>
    public async Task<IReadOnlyList<WebhookDocument>> QueryDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // TOP takes a literal: the Cosmos-compatible local server does not accept a parameter there.
        var query = new QueryDefinition(
                $"SELECT TOP {limit} * FROM c WHERE c.state = @pending AND c.nextAttemptAt <= @now ORDER BY c.nextAttemptAt")
            .WithParameter("@pending", WebhookStates.Pending)
            .WithParameter("@now", now.ToUnixTimeSeconds());
        var container = await containers.WebhooksAsync(cancellationToken);
        var results = new List<WebhookDocument>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { MaxItemCount = limit });
        while (iterator.HasMoreResults && results.Count < limit)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            EnsureSuccess(response, "query");
            var page = await JsonSerializer.DeserializeAsync(response.Content, pageType, cancellationToken)
                ?? throw new InvalidOperationException("Cosmos DB returned an empty query page.");
            results.AddRange(page.Documents);
        }

        return results.Count > limit ? results[..limit] : results;
    }

    private MemoryStream Serialize(WebhookDocument document) => new(JsonSerializer.SerializeToUtf8Bytes(document, documentType));

    private async Task<WebhookDocument> DeserializeAsync(ResponseMessage response, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync(response.Content, documentType, cancellationToken)
            ?? throw new InvalidOperationException("Cosmos DB returned an empty document.");

    private void EnsureSuccess(ResponseMessage response, string operation) =>
        containers.ThrowIfFailed(response, CosmosContainers.WebhooksContainer + " " + operation);
}
