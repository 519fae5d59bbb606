namespace McpFunctions.Core.Connections;

/// <summary>The authenticated end user a request acts for, taken only from a validated bearer token.</summary>
public sealed record Caller(string TenantId, string UserId)
{
    public ConnectionKey KeyFor(string provider, string account) => new(TenantId, UserId, provider, account);
}
