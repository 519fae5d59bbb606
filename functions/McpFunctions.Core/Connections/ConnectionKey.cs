namespace McpFunctions.Core.Connections;

/// <summary>Identifies one stored connection: a tenant's user's account at one provider.</summary>
public sealed record ConnectionKey(string TenantId, string UserId, string Provider, string Account)
{
    public const string DefaultAccount = "default";

    /// <summary>The Cosmos partition key: every connection of one user lives in one partition.</summary>
    public string PartitionKey => OwnerPartitionKey(TenantId, UserId);

    /// <summary>The document id, unique per (tenant, user) partition.</summary>
    public string DocumentId => $"{Provider}:{Account}";

    public static string OwnerPartitionKey(string tenantId, string userId) => $"{tenantId}:{userId}";
}
