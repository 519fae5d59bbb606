using System.Net;
using System.Text;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Startup;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>A provider added through <c>Providers:CatalogPath</c> whose tool takes a path argument with no pattern at all,
/// so the JSON Schema lets anything through: the request renderer and the provider client's base-URL check are all
/// that stands between a model's argument and another host. The provider is served by the Notion stand-in, which
/// records every request it gets.</summary>
public sealed class ToolPathSafetyTests : IAsyncLifetime
{
    private const string Catalog = """
        {
          "id": "plainapi",
          "displayName": "Plain API",
          "auth": { "type": "api_key", "identity": { "method": "GET", "path": "/v1/users/me" } },
          "api": {
            "baseUrl": "https://plain.example",
            "authHeader": { "name": "Authorization", "value": "Bearer {token}" },
            "headers": { "Notion-Version": "2022-06-28" }
          },
          "tools": [
            {
              "name": "plainapi_get_page",
              "description": "Reads one page by id.",
              "inputSchema": {
                "type": "object",
                "properties": { "page_id": { "type": "string" } },
                "required": ["page_id"]
              },
              "request": { "method": "GET", "path": "/v1/pages/{page_id}" }
            }
          ]
        }
        """;

    private readonly TempCatalog catalog = new(Catalog, "plainapi.json");
    private TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync(s =>
    {
        s["Providers:CatalogPath"] = catalog.Path;
        s["Providers:plainapi:BaseUrl"] = s["Providers:notion:BaseUrl"];
    });

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        catalog.Dispose();
    }

    [Theory]
    [InlineData("../../x")] // the renderer refuses: a relative step
    [InlineData("..")]
    [InlineData("https://evil.example")] // the renderer refuses: a URL
    [InlineData("//evil.example/x")]
    [InlineData("..%2f..%2fx")] // the renderer refuses the dots before it would encode the '%'
    [InlineData("x/../../admin")]
    [InlineData("..\\..\\x")]
    [InlineData("%2e%2e")] // passes the renderer (no literal dots), sent as %252e%252e: the client refuses what a double decode would climb
    [InlineData("%252e%252e")]
    public async Task ToolCall_PathArgumentLeavingTheBase_IsRefusedAndNothingIsSent(string pageId)
    {
        var (token, _) = await ConnectedUserAsync();
        host.Notion.ClearRequests();

        var result = await McpRpc.ToolAsync(host, token, "plainapi_get_page", $$"""{"page_id":"{{System.Text.Json.JsonEncodedText.Encode(pageId)}}"}""");

        Assert.True(McpRpc.IsError(result), McpRpc.Text(result));
        Assert.StartsWith("VALIDATION_ERROR:", McpRpc.Text(result), StringComparison.Ordinal);
        Assert.Equal(0, host.Notion.RequestCount);
    }

    [Fact]
    public async Task ToolCall_PlainId_ReachesTheProvider()
    {
        // The counterpart of the refusals: the same tool and stand-in do get requests, so RequestCount == 0 above means something.
        var (token, key) = await ConnectedUserAsync();
        var page = host.Notion.AddPage(key, "Reachable");
        host.Notion.ClearRequests();

        var result = await McpRpc.ToolAsync(host, token, "plainapi_get_page", $$"""{"page_id":"{{page}}"}""");

        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));
        var request = Assert.Single(host.Notion.Requests);
        Assert.EndsWith("/v1/pages/" + page, request.Path, StringComparison.Ordinal);
    }

    private async Task<(string Token, string Key)> ConnectedUserAsync()
    {
        var key = host.Notion.AddIntegration("Plain");
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        using var response = await host.SendAsync(HttpMethod.Post, "/api/mcp/plainapi/connect", token,
            new StringContent($$"""{"api_key":"{{key}}"}""", Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (token, key);
    }
}
