using System.Text.Json.Serialization;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>The Cosmos DB shape of a connection (container <c>connections</c>, partition key <c>/pk</c>).</summary>
/// <remarks>Times are epoch seconds so the sweep can range-query them; <c>id</c> = provider:account
/// makes (tenant, user, provider, account) unique without an index.</remarks>
public sealed record ConnectionDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("pk")]
    public required string PartitionKey { get; init; }

    public required string TenantId { get; init; }

    public required string UserId { get; init; }

    public required string Provider { get; init; }

    public required string Account { get; init; }

    public required AuthType AuthType { get; init; }

    public required ConnectionStatus Status { get; init; }

    public required EncryptedCredential Credential { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public required long ConnectedAt { get; init; }

    public long? LastUsedAt { get; init; }

    public long? ExpiresAt { get; init; }

    public long? RefreshAfter { get; init; }

    public long? LastRefreshedAt { get; init; }

    public int RefreshFailureCount { get; init; }

    public long? NextRefreshAttemptAt { get; init; }

    public long? RefreshTokenExpiresAt { get; init; }

    public RefreshLeaseDocument? RefreshLease { get; init; }

    public string? LastRefreshError { get; init; }

    public int RefreshDeferrals { get; init; }

    /// <summary>Set by Cosmos on read; never written by us.</summary>
    [JsonPropertyName("_etag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ETag { get; init; }

    public static ConnectionDocument From(Connection c) => new()
    {
        Id = c.Key.DocumentId,
        PartitionKey = c.Key.PartitionKey,
        TenantId = c.Key.TenantId,
        UserId = c.Key.UserId,
        Provider = c.Key.Provider,
        Account = c.Key.Account,
        AuthType = c.AuthType,
        Status = c.Status,
        Credential = c.Credential,
        Scopes = c.Scopes,
        Metadata = c.Metadata,
        ConnectedAt = c.ConnectedAt.ToUnixTimeSeconds(),
        LastUsedAt = c.LastUsedAt?.ToUnixTimeSeconds(),
        ExpiresAt = c.ExpiresAt?.ToUnixTimeSeconds(),
        RefreshAfter = c.RefreshAfter?.ToUnixTimeSeconds(),
        LastRefreshedAt = c.LastRefreshedAt?.ToUnixTimeSeconds(),
        RefreshFailureCount = c.RefreshFailureCount,
        NextRefreshAttemptAt = c.NextRefreshAttemptAt is { } next ? WholeSecond.NotBefore(next).ToUnixTimeSeconds() : null,
        RefreshTokenExpiresAt = c.RefreshTokenExpiresAt?.ToUnixTimeSeconds(),
        RefreshLease = c.RefreshLease is { } lease ? new RefreshLeaseDocument(lease.Owner, lease.Until.ToUnixTimeMilliseconds()) : null,
        LastRefreshError = c.LastRefreshError,
        RefreshDeferrals = c.RefreshDeferrals,
    };

    public StoredConnection ToStored() => new(
        new Connection(
            new ConnectionKey(TenantId, UserId, Provider, Account),
            AuthType,
            Status,
            Credential,
            Scopes,
            Metadata,
            FromEpoch(ConnectedAt),
            FromEpoch(LastUsedAt),
            FromEpoch(ExpiresAt),
            FromEpoch(RefreshAfter),
            FromEpoch(LastRefreshedAt),
            RefreshFailureCount,
            FromEpoch(NextRefreshAttemptAt),
            FromEpoch(RefreshTokenExpiresAt),
            RefreshLease is { } lease ? new RefreshLease(lease.Owner, DateTimeOffset.FromUnixTimeMilliseconds(lease.UntilMs)) : null,
            LastRefreshError,
            RefreshDeferrals),
        ETag ?? throw new InvalidOperationException("A document read from Cosmos DB has no _etag."));

    private static DateTimeOffset FromEpoch(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private static DateTimeOffset? FromEpoch(long? seconds) => seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}

/// <summary>A refresh lease; milliseconds because leases are seconds long.</summary>
public sealed record RefreshLeaseDocument(string Owner, long UntilMs);

/// <summary>One page of a Cosmos query as the gateway returns it.</summary>
public sealed record CosmosFeedPage<T>([property: JsonPropertyName("Documents")] IReadOnlyList<T> Documents);
