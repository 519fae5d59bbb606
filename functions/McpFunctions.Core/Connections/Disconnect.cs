using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Connections;

/// <summary>Use case: remove a user's connection. Idempotent: disconnecting twice is not an error.</summary>
public sealed class Disconnect(ProviderCatalog catalog, IConnectionStore store, ILogger<Disconnect> logger)
{
    /// <returns>Whether a connection existed.</returns>
    public async Task<bool> ExecuteAsync(Caller caller, string providerId, string? account, CancellationToken cancellationToken)
    {
        var provider = catalog.Get(providerId);
        var key = caller.KeyFor(provider.Id, AccountName.Normalize(account));
        var existed = await store.DeleteAsync(key, cancellationToken);
        logger.LogInformation("Disconnect {Provider} account {Account}: {Outcome}", provider.Id, key.Account, existed ? "deleted" : "was not connected");
        return existed;
    }
}
