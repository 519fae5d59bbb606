using System.Text.Json.Serialization;

namespace McpFunctions.Core.Connections;

/// <summary>Lifecycle of a connection as the chat backend sees it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConnectionStatus>))]
public enum ConnectionStatus
{
    [JsonStringEnumMemberName("active")]
    Active,

    [JsonStringEnumMemberName("needs_reauth")]
    NeedsReauth,

    [JsonStringEnumMemberName("revoked")]
    Revoked,
}
