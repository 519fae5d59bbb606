using McpFunctions.Core.Events;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.Webhooks;

/// <summary><see cref="IConnectionEvents"/> as a durable outbox: each event becomes a pending Cosmos document, then a
/// prompt background attempt; <see cref="WebhookDeliveryJob"/> delivers whatever that attempt did not.</summary>
public sealed class WebhookOutbox(
    CosmosWebhookStore store,
    PromptDeliveries prompt,
    WebhookOptions options,
    TimeProvider clock,
    ILogger<WebhookOutbox> logger) : IConnectionEvents
{
    /// <summary>Cosmos ids must not hold these, and are at most 255 characters.</summary>
    private static readonly char[] ForbiddenIdCharacters = ['/', '\\', '?', '#'];

    public async Task PublishAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectionEvent);
        if (string.IsNullOrEmpty(connectionEvent.Id) || connectionEvent.Id.Length > 255 || connectionEvent.Id.IndexOfAny(ForbiddenIdCharacters) >= 0)
        {
            throw new ArgumentException("An event id must be 1..255 characters without / \\ ? #.", nameof(connectionEvent));
        }

        if (connectionEvent.Type == ConnectionEventTypes.Refreshed && !options.IncludeRefreshed)
        {
            return;
        }

        WebhookDocument? stored;
        try
        {
            stored = await store.TryCreateAsync(WebhookDocument.Pending(connectionEvent, clock.GetUtcNow()), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The port's promise: a lost event must not fail the request or refresh that caused it.
            logger.LogError(
                e,
                "Could not store webhook {EventId} {EventType} for {TenantId}/{UserId} {Provider}; the event is dropped",
                connectionEvent.Id, connectionEvent.Type, connectionEvent.TenantId, connectionEvent.UserId, connectionEvent.Provider);
            return;
        }

        if (stored is null)
        {
            // Published before under the same id (a retried caller): the first copy is already on its way.
            logger.LogDebug("Webhook {EventId} is already in the outbox", connectionEvent.Id);
            return;
        }

        prompt.Start(stored);
    }
}
