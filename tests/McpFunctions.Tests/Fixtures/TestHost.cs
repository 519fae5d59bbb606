using System.Net.Http.Headers;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.LocalHost;
using McpFunctions.StandIns.Notion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Fixtures;

/// <summary>The real LocalHost on a loopback port, over the real local Cosmos and Redis, with Notion's stand-in.</summary>
/// <remarks>Each host gets its own Cosmos database, so hosts never see each other's data.</remarks>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly bool ownsDatabase;

    private TestHost(WebApplication app, NotionStandIn notion, CapturedLogs logs, string databaseName, string encryptionKey, bool ownsDatabase)
    {
        this.app = app;
        this.ownsDatabase = ownsDatabase;
        Notion = notion;
        Logs = logs;
        DatabaseName = databaseName;
        EncryptionKey = encryptionKey;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("127.0.0.1:0", "127.0.0.1", StringComparison.Ordinal));
        Http = new HttpClient { BaseAddress = BaseAddress };
        Browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Like a browser landing on our pages, but it does not follow redirects, so a test can read where they go.</summary>
    public HttpClient Browser { get; }

    public NotionStandIn Notion { get; }

    public CapturedLogs Logs { get; }

    public string DatabaseName { get; }

    public string EncryptionKey { get; }

    public IServiceProvider Services => app.Services;

    /// <param name="overrideServices">Replaces services after the host's own registration (see <see cref="ServiceOverrides"/>).</param>
    /// <param name="port">A fixed loopback port (e.g. one an OAuth client's redirect URI names); 0 picks a free one.</param>
    public static async Task<TestHost> StartAsync(
        Action<IDictionary<string, string?>>? configure = null,
        NotionStandIn? sharedNotion = null,
        Action<IServiceCollection>? overrideServices = null,
        int port = 0)
    {
        var notion = sharedNotion ?? await NotionStandIn.StartAsync();
        var logs = new CapturedLogs();
        var databaseName = "test-" + Guid.NewGuid().ToString("N")[..12];
        var encryptionKey = LocalKeyRing.GenerateBase64Key();
        var settings = new Dictionary<string, string?>
        {
            ["COSMOS:accountEndpoint"] = LocalServices.CosmosEndpoint,
            ["COSMOS:accountKey"] = LocalServices.CosmosKey,
            ["COSMOS:trustLoopbackCertificate"] = "true",
            ["COSMOS:databaseName"] = databaseName,
            ["REDIS_CONNECTION_STRING"] = LocalServices.RedisConnectionString,
            ["MCP_ENCRYPTION_KEY"] = encryptionKey,
            ["Auth:SigningKey"] = TestTokens.SigningKey,
            ["Auth:Issuer"] = TestTokens.Issuer,
            ["Auth:Audience"] = TestTokens.Audience,
            ["Providers:notion:BaseUrl"] = notion.BaseUrl.ToString(),
            // Background sweeps would touch the data tests arrange; tests that need the runner turn it on.
            ["Jobs:Enabled"] = "false",
        };
        configure?.Invoke(settings);
        // A host pointed at a given database (restart and multi-instance tests) leaves deleting it to the test.
        var ownsDatabase = settings["COSMOS:databaseName"] == databaseName;
        databaseName = settings["COSMOS:databaseName"] ?? databaseName;

        var app = LocalHostApp.Create(["--environment", "Testing", "--urls", $"http://127.0.0.1:{port}"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(logs);
            if (overrideServices is not null)
            {
                builder.Host.UseServiceProviderFactory(new ServiceOverrides(overrideServices));
            }
        });
        await app.StartAsync();
        return new TestHost(app, notion, logs, databaseName, encryptionKey, ownsDatabase);
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null) =>
        Http.SendAsync(Request(method, path, token, content));

    /// <summary>The raw JSON of every stored connection document, as Cosmos holds it.</summary>
    public async Task<IReadOnlyList<string>> RawConnectionDocumentsAsync()
    {
        var container = await Services.GetRequiredService<CosmosContainers>().ConnectionsAsync(CancellationToken.None);
        var documents = new List<string>();
        using var iterator = container.GetItemQueryStreamIterator("SELECT * FROM c");
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            Assert.True(page.IsSuccessStatusCode, $"reading the raw documents failed: {(int)page.StatusCode} {page.ErrorMessage}");
            using var reader = new StreamReader(page.Content);
            documents.Add(await reader.ReadToEndAsync());
        }

        return documents;
    }

    public async Task<Container> ConnectionsContainerAsync() =>
        await Services.GetRequiredService<CosmosContainers>().ConnectionsAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Browser.Dispose();
        try
        {
            if (!ownsDatabase)
            {
                return;
            }

            var containers = Services.GetRequiredService<CosmosContainers>();
            var container = await containers.ConnectionsAsync(CancellationToken.None);
            await container.Database.DeleteStreamAsync();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await Notion.DisposeAsync();
        }
    }
}
