using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Connections;

/// <summary>Use case: what a user has connected. Never returns a secret.</summary>
public sealed class GetConnections(
    ProviderCatalog catalog,
    IConnectionStore store,
    CredentialProtector protector,
    ILogger<GetConnections> logger)
{
    /// <summary>One account's connection, or null when not connected.</summary>
    /// <remarks>Opens the sealed credential (microseconds, no I/O beyond the key ring's cache) so that
    /// "active" is only reported for a credential we can actually use.</remarks>
    public async Task<Connection?> StatusAsync(Caller caller, string providerId, string? account, CancellationToken cancellationToken)
    {
        var provider = catalog.Get(providerId);
        var key = caller.KeyFor(provider.Id, AccountName.Normalize(account));
        var stored = await store.ReadAsync(key, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        try
        {
            _ = await protector.UnprotectAsync(stored.Connection.Credential, key, cancellationToken);
        }
        catch (McpFunctionsException ex) when (ex.Code == ErrorCode.CredentialDecryptFailed)
        {
            logger.LogError(
                "Stored credential for {Provider} account {Account} failed to decrypt under key {KeyId}",
                key.Provider, key.Account, stored.Connection.Credential.KeyId);
            throw;
        }

        return stored.Connection;
    }

    /// <summary>All of the caller's connections, across providers and accounts.</summary>
    public async Task<IReadOnlyList<Connection>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        var stored = await store.ListAsync(caller.TenantId, caller.UserId, cancellationToken);
        return [.. stored.Select(s => s.Connection).OrderBy(c => c.Key.Provider, StringComparer.Ordinal).ThenBy(c => c.Key.Account, StringComparer.Ordinal)];
    }
}
