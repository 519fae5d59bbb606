namespace McpFunctions.StandIns.KeyVault;

/// <summary>One request as the Key Vault stand-in answered it. Deliberately without body or token: a request
/// body can carry a secret value, and the log must be safe to print.</summary>
/// <param name="Method">HTTP method, e.g. <c>GET</c>.</param>
/// <param name="PathAndQuery">The request target as sent, e.g. <c>/secrets/kek/versions?api-version=2026-04-01</c>.</param>
/// <param name="ApiVersion">The <c>api-version</c> query value, or null when absent.</param>
/// <param name="Auth">Whether the request carried a bearer token and whether it was accepted.</param>
/// <param name="Status">The status code the stand-in answered.</param>
/// <param name="ReceivedAt">When the stand-in received the request (wall clock).</param>
public sealed record KeyVaultRequest(
    string Method,
    string PathAndQuery,
    string? ApiVersion,
    KeyVaultRequestAuth Auth,
    int Status,
    DateTimeOffset ReceivedAt);
