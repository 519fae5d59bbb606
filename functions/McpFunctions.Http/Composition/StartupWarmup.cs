using McpFunctions.Adapters.Cosmos;
using McpFunctions.Core.Credentials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Http.Composition;

/// <summary>At startup: load the key ring (so its warnings show at once) and create the Cosmos containers.</summary>
/// <remarks>A Cosmos outage at startup is logged, not fatal: the store creates the containers on first use,
/// and the health endpoint reports the outage.</remarks>
public sealed class StartupWarmup(IKeyRing keyRing, CosmosContainers cosmos, ILogger<StartupWarmup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = await keyRing.GetCurrentAsync(cancellationToken);
        logger.LogInformation("Key ring ready; new credentials are sealed under {KeyId}", current.Id);
        try
        {
            await cosmos.EnsureCreatedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Cosmos DB was not ready at startup; containers will be created on first use");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
