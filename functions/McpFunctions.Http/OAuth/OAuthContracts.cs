using System.Text.Json.Serialization;

namespace McpFunctions.Http.OAuth;

/// <summary>Body of <c>POST /api/mcp/{provider}/authorize</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuthorizeRequest(
    [property: JsonPropertyName("return_url")] string? ReturnUrl,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string>? Scopes);

/// <summary>Where to send the user's browser.</summary>
public sealed record AuthorizeResponse(
    [property: JsonPropertyName("authorization_url")] Uri AuthorizationUrl,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

/// <summary>Body of <c>POST /api/mcp/{provider}/complete</c>: the <c>completion</c> value the return URL received.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CompleteRequest([property: JsonPropertyName("code")] string? Code);

/// <summary>Answer of the trusted token endpoint.</summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt);
