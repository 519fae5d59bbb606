using System.Text.Json.Serialization;
using McpFunctions.Core.Events;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>One event in the outbox (container <c>webhooks</c>, partition key <c>/id</c> = the event id).</summary>
/// <remarks>Times are epoch seconds so the delivery job can range-query <c>nextAttemptAt</c>. While an attempt
/// runs, <c>nextAttemptAt</c> is its claim's expiry: an instance that dies mid-send leaves the event due again later.</remarks>
public sealed record WebhookDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Exactly what is POSTed (the webhook body).</summary>
    public required ConnectionEvent Event { get; init; }

    /// <summary>One of <see cref="WebhookStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>Attempts started so far (counted when claimed, so a crash mid-send still counts).</summary>
    public int Attempts { get; init; }

    public required long NextAttemptAt { get; init; }

    public required long CreatedAt { get; init; }

    public long? LastAttemptAt { get; init; }

    public long? DeliveredAt { get; init; }

    public WebhookError? LastError { get; init; }

    /// <summary>Seconds until Cosmos deletes the item (delivered and dead ones only); pending ones never expire.</summary>
    [JsonPropertyName("ttl")]
    public int? TimeToLive { get; init; }

    /// <summary>Set by Cosmos on read; never written by us.</summary>
    [JsonPropertyName("_etag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ETag { get; init; }

    public static WebhookDocument Pending(ConnectionEvent connectionEvent, DateTimeOffset now) => new()
    {
        Id = connectionEvent.Id,
        Event = connectionEvent,
        State = WebhookStates.Pending,
        NextAttemptAt = now.ToUnixTimeSeconds(),
        CreatedAt = now.ToUnixTimeSeconds(),
    };
}

/// <summary>Why the last attempt failed: the receiver's status, or a network failure's kind. Never a body or URL.</summary>
public sealed record WebhookError(int? Status, string Reason);

/// <summary>Values of <see cref="WebhookDocument.State"/>.</summary>
public static class WebhookStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";
}
