using McpFunctions.Adapters.Cosmos;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Http.Composition;

/// <summary>At startup: load the key ring (so its warnings show at once) and create the Cosmos containers.</summary>
/// <remarks>Outages are logged, not fatal: the store creates the containers on first use, the key ring retries its
/// load after a back-off, and the health endpoint reports either meanwhile. A key ring that is misconfigured (a key
/// of the wrong size, access denied, no such secret) still stops startup, naming what to fix.</remarks>
public sealed class StartupWarmup(IKeyRing keyRing, CosmosContainers cosmos, ILogger<StartupWarmup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var current = await keyRing.GetCurrentAsync(cancellationToken);
            logger.LogInformation("Key ring ready; new credentials are sealed under {KeyId}", current.Id);
        }
        catch (McpFunctionsException ex) when (ex.Code == ErrorCode.ServiceUnavailable)
        {
            // An instance that cannot reach Key Vault on a cold start would otherwise crash-loop, invisible to /api/health.
            logger.LogError(ex, "The key ring could not load its keys at startup; calls needing a key answer 503 until it does");
        }

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
