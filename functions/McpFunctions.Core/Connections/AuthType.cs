using System.Text.Json.Serialization;

namespace McpFunctions.Core.Connections;

/// <summary>How a connection authenticates to its provider.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AuthType>))]
public enum AuthType
{
    [JsonStringEnumMemberName("api_key")]
    ApiKey,

    [JsonStringEnumMemberName("oauth2")]
    OAuth2,

    [JsonStringEnumMemberName("client_credentials")]
    ClientCredentials,
}
