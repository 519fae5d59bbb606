using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using Microsoft.Azure.Cosmos;

namespace McpFunctions.Tests.Adapters.Cosmos;

/// <summary>What tools/localstack/cosmos.mjs must get right for the .NET SDK, checked against the running server.</summary>
public sealed class LocalCosmosServerTests : IDisposable
{
    private readonly CosmosClient client = new(LocalServices.CosmosEndpoint, LocalServices.CosmosKey, new CosmosClientOptions
    {
        ConnectionMode = ConnectionMode.Gateway,
        LimitToEndpoint = true,
        UseSystemTextJsonSerializerWithOptions = new JsonSerializerOptions(),
        HttpClientFactory = () => new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        }),
    });

    public void Dispose() => client.Dispose();

    /// <summary>The SDK addresses partition key ranges by resource id and writes a rid's '/' as '-' in the URL.
    /// Every 64th database the server creates has a '/' in its rid; a query there used to fail with 404
    /// ("stale cache"), which surfaced as random 503s in whichever test drew that database.</summary>
    [Fact]
    public async Task Query_InDatabaseWhoseRidHasASlash_Succeeds()
    {
        var created = new List<Database>();
        try
        {
            Database? slashed = null;
            for (var i = 0; i < 130 && slashed is null; i++)
            {
                var response = await client.CreateDatabaseAsync("rid-probe-" + Guid.NewGuid().ToString("N"));
                created.Add(response.Database);
                if (RidOf(response.Resource.SelfLink).Contains('/', StringComparison.Ordinal))
                {
                    slashed = response.Database;
                }
            }

            Assert.NotNull(slashed);
            Container container = await slashed.CreateContainerAsync("items", "/pk");
            using var body = new MemoryStream(Encoding.UTF8.GetBytes("""{"id":"a","pk":"p1","n":1}"""));
            using var createdItem = await container.CreateItemStreamAsync(body, new PartitionKey("p1"));
            Assert.Equal(HttpStatusCode.Created, createdItem.StatusCode);

            Assert.Equal(1, await CountAsync(container, new QueryRequestOptions { PartitionKey = new PartitionKey("p1") }));
            Assert.Equal(1, await CountAsync(container, new QueryRequestOptions()));
        }
        finally
        {
            foreach (var database in created)
            {
                using var deleted = await database.DeleteStreamAsync();
            }
        }
    }

    /// <summary>The rid inside a database's self link, <c>/dbs/{rid}/</c> (the leading slash varies by server).</summary>
    private static string RidOf(string selfLink) => selfLink.Trim('/')["dbs/".Length..];

    private static async Task<int> CountAsync(Container container, QueryRequestOptions options)
    {
        var count = 0;
        using var iterator = container.GetItemQueryStreamIterator("SELECT * FROM c", requestOptions: options);
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            Assert.True(page.IsSuccessStatusCode, $"query failed: {(int)page.StatusCode} {page.ErrorMessage}");
            using var json = await JsonDocument.ParseAsync(page.Content);
            count += json.RootElement.GetProperty("Documents").GetArrayLength();
        }

        return count;
    }
}
