using McpFunctions.Core.Credentials;

namespace McpFunctions.Core.Connections;

/// <summary>A user's connection to a provider, as stored: the credential only in encrypted form.</summary>
/// <param name="RefreshAfter">When the token lifecycle wants this connection refreshed (access-token expiry minus the margin,
/// or earlier so an idle refresh token does not lapse); what the sweep queries.</param>
/// <param name="RefreshLease">Who is refreshing right now, so no other instance sends the same refresh token.</param>
/// <param name="LastRefreshError">The reason of the last failed refresh (e.g. <c>http_503</c>, <c>invalid_grant</c>); cleared on success.</param>
/// <param name="RefreshDeferrals">Sweeps in a row that found this connection due but could not even try to refresh it (no OAuth
/// client, provider gone, credential unreadable); each one moved <paramref name="RefreshAfter"/> out by a growing backoff.
/// Cleared on success.</param>
public sealed record Connection(
    ConnectionKey Key,
    AuthType AuthType,
    ConnectionStatus Status,
    EncryptedCredential Credential,
    IReadOnlyList<string> Scopes,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset ConnectedAt,
    DateTimeOffset? LastUsedAt = null,
    DateTimeOffset? ExpiresAt = null,
    DateTimeOffset? RefreshAfter = null,
    DateTimeOffset? LastRefreshedAt = null,
    int RefreshFailureCount = 0,
    DateTimeOffset? NextRefreshAttemptAt = null,
    DateTimeOffset? RefreshTokenExpiresAt = null,
    RefreshLease? RefreshLease = null,
    string? LastRefreshError = null,
    int RefreshDeferrals = 0);

/// <summary>A claim on refreshing one connection, taken with an ETag-conditional write and valid until <paramref name="Until"/>.</summary>
public sealed record RefreshLease(string Owner, DateTimeOffset Until);

/// <summary>A connection read from the store with the version (ETag) any update must match.</summary>
public sealed record StoredConnection(Connection Connection, string ETag);
