using McpFunctions.Core.Credentials;

namespace McpFunctions.Core.OAuth;

/// <summary>A started authorization, stored server-side under the hash of its <c>state</c> value until the callback consumes it.</summary>
/// <param name="Id">SHA-256 (base64url) of the <c>state</c> sent to the provider: a leaked store reveals no usable state.</param>
/// <param name="CodeVerifier">The PKCE verifier, sealed (envelope encryption bound to the owner and this state).</param>
public sealed record OAuthState(
    string Id,
    string TenantId,
    string UserId,
    string Provider,
    string Account,
    EncryptedCredential? CodeVerifier,
    Uri ReturnUrl,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);

/// <summary>A token set obtained at the callback and waiting for the chat backend to confirm it for the same user.</summary>
/// <param name="Id">SHA-256 (base64url) of the one-time completion code given to the browser.</param>
/// <param name="Credential">The token set, sealed for the connection it will become.</param>
public sealed record PendingConnection(
    string Id,
    string TenantId,
    string UserId,
    string Provider,
    string Account,
    EncryptedCredential Credential,
    IReadOnlyList<string> Scopes,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RefreshTokenExpiresAt,
    DateTimeOffset? RefreshAfter,
    DateTimeOffset CreatedAt,
    DateTimeOffset CompleteBy);

/// <summary>Port: short-lived OAuth records (own container, TTL). Consuming is atomic: of two racing consumers, one gets the record.</summary>
public interface IOAuthStateStore
{
    Task SaveStateAsync(OAuthState state, CancellationToken cancellationToken);

    /// <summary>Reads and deletes; null when absent or already consumed (a replay).</summary>
    Task<OAuthState?> TryConsumeStateAsync(string id, CancellationToken cancellationToken);

    Task SavePendingAsync(PendingConnection pending, CancellationToken cancellationToken);

    /// <summary>Reads without consuming, so a wrong user's attempt does not burn the rightful user's code.</summary>
    Task<PendingConnection?> ReadPendingAsync(string id, CancellationToken cancellationToken);

    /// <summary>Deletes; false when it was already consumed.</summary>
    Task<bool> TryDeletePendingAsync(string id, CancellationToken cancellationToken);
}
