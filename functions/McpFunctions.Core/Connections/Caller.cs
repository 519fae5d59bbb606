namespace McpFunctions.Core.Connections;

/// <summary>The authenticated end user a request acts for, taken only from a validated bearer token.</summary>
/// <param name="Grants">The token's roles and scopes (<c>roles</c>, <c>scp</c>, <c>scope</c> claims), for endpoints that need more than a user.</param>
public sealed record Caller(string TenantId, string UserId, IReadOnlySet<string>? Grants = null)
{
    public bool Has(string grant) => Grants?.Contains(grant) == true;

    public ConnectionKey KeyFor(string provider, string account) => new(TenantId, UserId, provider, account);
}
