using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Core.OAuth;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Adapters.Cosmos;

/// <summary><see cref="IOAuthStateStore"/> on the <c>oauth_states</c> container (partition key <c>/id</c>, per-item TTL).</summary>
/// <remarks>Consuming is read, then delete conditioned on the ETag read: of two racing consumers exactly one
/// delete succeeds, so a state or completion code works once. Expiry is also checked by the use cases,
/// because TTL deletion is lazy (and absent on the local server).</remarks>
public sealed class CosmosOAuthStateStore(CosmosContainers containers, JsonTypeInfo<OAuthRecordDocument> documentType, TimeProvider clock) : IOAuthStateStore
{
    /// <summary>Kept a little past expiry so a late callback is told "expired" rather than "unknown".</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    public Task SaveStateAsync(OAuthState state, CancellationToken cancellationToken) =>
        CreateAsync(new OAuthRecordDocument(state.Id, OAuthRecordDocument.StateKind, state, null, TtlUntil(state.ExpiresAt)), cancellationToken);

    public async Task<OAuthState?> TryConsumeStateAsync(string id, CancellationToken cancellationToken) =>
        (await TryConsumeAsync(id, OAuthRecordDocument.StateKind, cancellationToken))?.State;

    public Task SavePendingAsync(PendingConnection pending, CancellationToken cancellationToken) =>
        CreateAsync(new OAuthRecordDocument(pending.Id, OAuthRecordDocument.PendingKind, null, pending, TtlUntil(pending.CompleteBy)), cancellationToken);

    public async Task<PendingConnection?> ReadPendingAsync(string id, CancellationToken cancellationToken)
    {
        var (document, _) = await ReadAsync(id, cancellationToken);
        return document?.Kind == OAuthRecordDocument.PendingKind ? document.Pending : null;
    }

    public async Task<bool> TryDeletePendingAsync(string id, CancellationToken cancellationToken) =>
        await TryConsumeAsync(id, OAuthRecordDocument.PendingKind, cancellationToken) is not null;

    private async Task CreateAsync(OAuthRecordDocument document, CancellationToken cancellationToken)
    {
        var container = await containers.OAuthStatesAsync(cancellationToken);
        using var body = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document, documentType));
        using var response = await container.CreateItemStreamAsync(body, new PartitionKey(document.Id), cancellationToken: cancellationToken);
        EnsureSuccess(response, "create");
    }

    private async Task<OAuthRecordDocument?> TryConsumeAsync(string id, string kind, CancellationToken cancellationToken)
    {
        var (document, etag) = await ReadAsync(id, cancellationToken);
        if (document is null || document.Kind != kind)
        {
            return null;
        }

        var container = await containers.OAuthStatesAsync(cancellationToken);
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            return null;
        }

        EnsureSuccess(response, "delete");
        return document;
    }

    private async Task<(OAuthRecordDocument? Document, string? ETag)> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.OAuthStatesAsync(cancellationToken);
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(id), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (null, null);
        }

        EnsureSuccess(response, "read");
        var document = await JsonSerializer.DeserializeAsync(response.Content, documentType, cancellationToken);
        return (document, response.Headers.ETag);
    }

    private int TtlUntil(DateTimeOffset expiresAt) => (int)Math.Max(60, (expiresAt - clock.GetUtcNow() + Grace).TotalSeconds);

    private void EnsureSuccess(ResponseMessage response, string operation) =>
        containers.ThrowIfFailed(response, CosmosContainers.OAuthStatesContainer + " " + operation);
}

/// <summary>One item of the <c>oauth_states</c> container: a started authorization or a pending completion.</summary>
/// <param name="Ttl">Seconds until Cosmos deletes the item (the container has TTL on with no default).</param>
public sealed record OAuthRecordDocument(
    [property: JsonPropertyName("id")] string Id,
    string Kind,
    OAuthState? State,
    PendingConnection? Pending,
    [property: JsonPropertyName("ttl")] int Ttl)
{
    public const string StateKind = "state";
    public const string PendingKind = "pending";
}
