using McpFunctions.Core.Events;
using McpFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>One attempt at one outbox event: claim it, send it, record the outcome.</summary>
/// <remarks>The claim is an ETag-conditional write that counts the attempt and pushes <c>nextAttemptAt</c> past the
/// attempt's timeout. Of several instances (job runs, the prompt attempt) holding the same version, exactly one wins
/// and sends; the others see 412 and move on. An instance that dies after claiming leaves the event due again once
/// the claim expires. The receiver may still see an event twice (delivered, then our final write failed): it dedupes
/// by the delivery id.</remarks>
public sealed class WebhookDelivery(
    CosmosWebhookStore store,
    WebhookSender sender,
    WebhookBackoff backoff,
    WebhookOptions options,
    TimeProvider clock,
    McpMetrics metrics,
    ILogger<WebhookDelivery> logger)
{
    /// <summary>How long delivered events stay (for support questions) before Cosmos deletes them.</summary>
    public static readonly TimeSpan DeliveredRetention = TimeSpan.FromDays(7);

    /// <summary>How long dead events stay, for an operator to inspect or replay, before Cosmos deletes them.</summary>
    public static readonly TimeSpan DeadRetention = TimeSpan.FromDays(30);

    /// <summary>Beyond the send timeout, so a slow final write is not mistaken for a dead instance.</summary>
    private static readonly TimeSpan ClaimMargin = TimeSpan.FromSeconds(30);

    public async Task<WebhookAttempt> TryDeliverAsync(WebhookDocument due, CancellationToken cancellationToken)
    {
        if (due.State != WebhookStates.Pending || due.ETag is not { } etag)
        {
            return WebhookAttempt.Skipped;
        }

        var now = clock.GetUtcNow();
        if (due.Attempts >= options.MaxAttempts)
        {
            // Claimed for its last attempt by an instance that never finished (or MaxAttempts was lowered).
            var expired = await store.TryReplaceAsync(Dead(due, now, due.LastError ?? new WebhookError(null, "MaxAttempts")), etag, cancellationToken);
            if (expired is not null)
            {
                LogDead(due.Event, due.Attempts, expired.LastError!);
            }

            return expired is null ? WebhookAttempt.Skipped : WebhookAttempt.Dead;
        }

        var claimed = await store.TryReplaceAsync(
            due with
            {
                Attempts = due.Attempts + 1,
                LastAttemptAt = now.ToUnixTimeSeconds(),
                NextAttemptAt = (now + TimeSpan.FromSeconds(options.TimeoutSeconds) + ClaimMargin).ToUnixTimeSeconds(),
            },
            etag,
            cancellationToken);
        if (claimed?.ETag is not { } claimedEtag)
        {
            logger.LogDebug("Webhook {EventId} was claimed elsewhere", due.Id);
            return WebhookAttempt.Skipped;
        }

        var result = await sender.SendAsync(claimed.Event, cancellationToken);
        var (settled, attempt) = Settle(claimed, result, clock.GetUtcNow());
        metrics.WebhookAttempted(claimed.Event.Type, attempt switch
        {
            WebhookAttempt.Delivered => "delivered",
            WebhookAttempt.Dead => "dead",
            _ => "failed",
        });
        if (await store.TryReplaceAsync(settled, claimedEtag, cancellationToken) is null)
        {
            // Only possible when our claim expired and another attempt took over: that attempt's record stands.
            logger.LogWarning("Webhook {EventId} changed while attempt {Attempt} ran ({Result}); keeping the newer record", due.Id, claimed.Attempts, result.ToString());
            return attempt;
        }

        switch (attempt)
        {
            case WebhookAttempt.Delivered:
                logger.LogInformation("Delivered webhook {EventId} {EventType} on attempt {Attempt}", due.Id, due.Event.Type, claimed.Attempts);
                break;
            case WebhookAttempt.Dead:
                LogDead(due.Event, claimed.Attempts, result.Error);
                break;
            default:
                logger.LogWarning(
                    "Webhook {EventId} {EventType} attempt {Attempt} failed ({Result}); next attempt at {NextAttemptAt}",
                    due.Id, due.Event.Type, claimed.Attempts, result.ToString(), DateTimeOffset.FromUnixTimeSeconds(settled.NextAttemptAt));
                break;
        }

        return attempt;
    }

    private (WebhookDocument Settled, WebhookAttempt Attempt) Settle(WebhookDocument claimed, WebhookSendResult result, DateTimeOffset now)
    {
        if (result.Outcome == WebhookOutcome.Delivered)
        {
            return (claimed with
            {
                State = WebhookStates.Delivered,
                DeliveredAt = now.ToUnixTimeSeconds(),
                LastError = null,
                TimeToLive = (int)DeliveredRetention.TotalSeconds,
            }, WebhookAttempt.Delivered);
        }

        if (result.Outcome == WebhookOutcome.Gone || claimed.Attempts >= options.MaxAttempts)
        {
            return (Dead(claimed, now, result.Error), WebhookAttempt.Dead);
        }

        var delay = backoff.Next(claimed.Attempts);
        // Rounded up to whole seconds, so an attempt is never due before its backoff has passed.
        var next = now.ToUnixTimeSeconds() + (long)Math.Ceiling(delay.TotalSeconds);
        return (claimed with { NextAttemptAt = next, LastError = result.Error }, WebhookAttempt.Failed);
    }

    private static WebhookDocument Dead(WebhookDocument document, DateTimeOffset now, WebhookError error) => document with
    {
        State = WebhookStates.Dead,
        NextAttemptAt = now.ToUnixTimeSeconds(),
        LastError = error,
        TimeToLive = (int)DeadRetention.TotalSeconds,
    };

    private void LogDead(ConnectionEvent connectionEvent, int attempts, WebhookError error) =>
        logger.LogError(
            "Webhook {EventId} {EventType} for {TenantId}/{UserId} {Provider} gave up after {Attempts} attempts (last: {Status} {Reason}); kept as dead for {RetentionDays} days",
            connectionEvent.Id, connectionEvent.Type, connectionEvent.TenantId, connectionEvent.UserId, connectionEvent.Provider,
            attempts, error.Status, error.Reason, (int)DeadRetention.TotalDays);
}

/// <summary>What <see cref="WebhookDelivery.TryDeliverAsync"/> did with one event.</summary>
public enum WebhookAttempt
{
    /// <summary>Not ours to send: claimed elsewhere, or no longer pending.</summary>
    Skipped,
    Delivered,

    /// <summary>Not delivered; scheduled again.</summary>
    Failed,

    /// <summary>Given up (410 or attempts exhausted).</summary>
    Dead,
}
