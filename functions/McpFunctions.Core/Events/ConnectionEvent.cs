using System.Text.Json.Serialization;

namespace McpFunctions.Core.Events;

/// <summary>Something that happened to a connection that the chat backend wants to hear about (webhook body).</summary>
/// <remarks>Ids and a reason only: never a token or any other secret.</remarks>
public sealed record ConnectionEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("occurred_at")] DateTimeOffset OccurredAt,
    [property: JsonPropertyName("tenant_id")] string TenantId,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("reason")] string? Reason = null)
{
    /// <summary>A new event about <paramref name="key"/>'s connection, with a fresh, time-ordered id.</summary>
    public static ConnectionEvent Of(string type, Connections.ConnectionKey key, DateTimeOffset occurredAt, string? reason) =>
        new(Guid.CreateVersion7().ToString(), type, occurredAt, key.TenantId, key.UserId, key.Provider, key.Account, reason);
}

/// <summary>The event types (the <c>type</c> field).</summary>
public static class ConnectionEventTypes
{
    public const string Created = "connection.created";
    public const string Refreshed = "connection.refreshed";
    public const string RefreshFailed = "connection.refresh_failed";
    public const string NeedsReauth = "connection.needs_reauth";
    public const string Recovered = "connection.recovered";
    public const string Deleted = "connection.deleted";
}

/// <summary>Port: records an event for delivery. Returns once the event is durable; delivery happens elsewhere, later.</summary>
/// <remarks>Never throws for a storage failure: an event that cannot be recorded is logged and dropped rather
/// than failing the request or refresh that caused it.</remarks>
public interface IConnectionEvents
{
    Task PublishAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken);
}
