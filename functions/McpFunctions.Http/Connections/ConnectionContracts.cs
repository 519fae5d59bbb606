using System.Text.Json.Serialization;
using McpFunctions.Core.Connections;

namespace McpFunctions.Http.Connections;

/// <summary>Body of <c>POST /api/mcp/{provider}/connect</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConnectRequest(
    [property: JsonPropertyName("api_key")] string? ApiKey,
    [property: JsonPropertyName("account")] string? Account);

/// <summary>What the API says about one connection: never the secret, not even partly.</summary>
public sealed record ConnectionView(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("connected")] bool Connected,
    [property: JsonPropertyName("status")] ConnectionStatus? Status = null,
    [property: JsonPropertyName("auth_type")] AuthType? AuthType = null,
    [property: JsonPropertyName("connected_at")] DateTimeOffset? ConnectedAt = null,
    [property: JsonPropertyName("last_used_at")] DateTimeOffset? LastUsedAt = null,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt = null,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string>? Scopes = null,
    [property: JsonPropertyName("metadata")] IReadOnlyDictionary<string, string>? Metadata = null)
{
    public static ConnectionView Of(Connection c) => new(
        c.Key.Provider,
        c.Key.Account,
        Connected: true,
        c.Status,
        c.AuthType,
        c.ConnectedAt,
        c.LastUsedAt,
        c.ExpiresAt,
        c.Scopes,
        c.Metadata);

    public static ConnectionView NotConnected(string provider, string account) => new(provider, account, Connected: false);
}

/// <summary>Body of <c>GET /api/mcp/connections</c>.</summary>
public sealed record ConnectionList([property: JsonPropertyName("connections")] IReadOnlyList<ConnectionView> Connections);

/// <summary>Answer of <c>DELETE /api/mcp/{provider}/disconnect</c>.</summary>
/// <param name="Disconnected">True when a connection existed and is now deleted.</param>
/// <param name="Revocation"><c>revoked</c>, <c>failed</c>, <c>not_supported</c> or <c>not_applicable</c>.</param>
public sealed record DisconnectView(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("disconnected")] bool Disconnected,
    [property: JsonPropertyName("revocation")] string Revocation);
