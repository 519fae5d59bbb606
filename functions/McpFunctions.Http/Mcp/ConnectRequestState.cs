using System.Text.Json.Serialization;
using McpFunctions.Core.Connections;

namespace McpFunctions.Http.Mcp;

/// <summary>Our <c>requestState</c> in an <c>input_required</c> answer to a <c>tools/call</c> whose provider is not connected:
/// who asked, for which tool and account, until when. Signed (<see cref="RequestStateProtector"/>); only its bearer's retry
/// of the same tool by the same user is accepted, and nothing about it is stored.</summary>
public sealed record ConnectRequestState(
    [property: JsonPropertyName("tid")] string TenantId,
    [property: JsonPropertyName("sub")] string UserId,
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("exp")] long ExpiresAt,
    [property: JsonPropertyName("nonce")] string Nonce)
{
    /// <summary>Whether this state was issued to <paramref name="caller"/> for <paramref name="tool"/> and has not expired.</summary>
    public bool Admits(Caller caller, string tool, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return string.Equals(TenantId, caller.TenantId, StringComparison.Ordinal)
            && string.Equals(UserId, caller.UserId, StringComparison.Ordinal)
            && string.Equals(Tool, tool, StringComparison.Ordinal)
            && now.ToUnixTimeSeconds() < ExpiresAt;
    }
}
