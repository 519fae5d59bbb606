using System.Text.Json;
using Azure.Identity;
using McpFunctions.Core.Health;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>The Cosmos DB client and our containers, created on first use when <see cref="CosmosOptions.CreateIfMissing"/>.</summary>
public sealed class CosmosContainers : IHealthProbe, IDisposable
{
    public const string ConnectionsContainer = "connections";

    /// <summary>Started authorizations and pending completions; TTL deletes leftovers (every item carries its own <c>ttl</c>).</summary>
    public const string OAuthStatesContainer = "oauth_states";

    /// <summary>The webhook outbox: events kept until delivered.</summary>
    public const string WebhooksContainer = "webhooks";

    /// <summary>Every container with its partition key and TTL, as created here and by infra/modules/cosmos.bicep (a test
    /// holds the compiled template to this list).</summary>
    public static IReadOnlyList<ContainerProperties> Definitions() =>
    [
        new(ConnectionsContainer, "/pk"),
        // TTL on, no default expiry: each item says its own lifetime in "ttl" (Cosmos deletes it then).
        new(OAuthStatesContainer, "/id") { DefaultTimeToLive = -1 },
        new(WebhooksContainer, "/id") { DefaultTimeToLive = -1 },
    ];

    private readonly CosmosOptions options;
    private readonly CosmosClient client;
    private readonly SemaphoreSlim initLock = new(1, 1);
    private volatile bool initialized;

    public CosmosContainers(IOptions<CosmosOptions> options, JsonSerializerOptions json)
    {
        this.options = options.Value;
        var endpoint = this.options.AccountEndpoint ?? throw new InvalidOperationException("COSMOS__accountEndpoint is required.");
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "McpFunctions",
            // Gateway mode: one HTTPS endpoint, which is what Flex Consumption networking and the local server support.
            ConnectionMode = ConnectionMode.Gateway,
            UseSystemTextJsonSerializerWithOptions = json,
        };
        if (this.options.TrustLoopbackCertificate && endpoint.IsLoopback)
        {
            // The local Cosmos-compatible server presents a self-signed certificate; never outside loopback.
            clientOptions.LimitToEndpoint = true;
            clientOptions.HttpClientFactory = () => new HttpClient(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
        }

        client = string.IsNullOrEmpty(this.options.AccountKey)
            ? new CosmosClient(endpoint.ToString(), new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = Identity.ManagedIdentityClientId.Resolve(this.options.ClientId),
            }), clientOptions)
            : new CosmosClient(endpoint.ToString(), this.options.AccountKey, clientOptions);
    }

    public string Name => "cosmos";

    /// <summary>Throws unless <paramref name="response"/> succeeded. The stores handle every 404 an operation can expect
    /// before calling this, so a 404 here means our database or container is gone (deleted, or an emulator restarted
    /// empty): the next operation creates them again (when <see cref="CosmosOptions.CreateIfMissing"/>), and this one
    /// fails as a store outage the caller may retry.</summary>
    public void ThrowIfFailed(ResponseMessage response, string operation)
    {
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound || (int)response.StatusCode >= 500)
        {
            // Real Cosmos DB answers 404 (sub-status 1003) for a missing container; emulators may answer 500. Either way
            // the next operation checks the database and containers again: idempotent, and only after a failure.
            initialized = false;
        }

        CosmosStoreException.ThrowIfFailed(response, operation);
    }

    /// <summary>True when a point read's 404 says the container or database is missing (sub-status 1003), not the item.</summary>
    public bool OwnerMissing(ResponseMessage response)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound || response.Headers["x-ms-substatus"] != "1003")
        {
            return false;
        }

        initialized = false;
        return true;
    }

    public async Task<Container> ConnectionsAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        return client.GetContainer(options.DatabaseName, ConnectionsContainer);
    }

    public async Task<Container> OAuthStatesAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        return client.GetContainer(options.DatabaseName, OAuthStatesContainer);
    }

    public async Task<Container> WebhooksAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        return client.GetContainer(options.DatabaseName, WebhooksContainer);
    }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (initialized || !options.CreateIfMissing)
        {
            return;
        }

        await initLock.WaitAsync(cancellationToken);
        try
        {
            if (!initialized)
            {
                var database = (await client.CreateDatabaseIfNotExistsAsync(options.DatabaseName, cancellationToken: cancellationToken)).Database;
                foreach (var container in Definitions())
                {
                    await database.CreateContainerIfNotExistsAsync(container, cancellationToken: cancellationToken);
                }

                initialized = true;
            }
        }
        finally
        {
            initLock.Release();
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var container = await ConnectionsAsync(cancellationToken);
        using var response = await container.ReadContainerStreamAsync(cancellationToken: cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Cosmos DB answered {(int)response.StatusCode} reading the connections container.");
        }
    }

    public void Dispose()
    {
        client.Dispose();
        initLock.Dispose();
    }
}
