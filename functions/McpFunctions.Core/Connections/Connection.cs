using McpFunctions.Core.Credentials;

namespace McpFunctions.Core.Connections;

/// <summary>A user's connection to a provider, as stored: the credential only in encrypted form.</summary>
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
    DateTimeOffset? NextRefreshAttemptAt = null);

/// <summary>A connection read from the store with the version (ETag) any update must match.</summary>
public sealed record StoredConnection(Connection Connection, string ETag);
