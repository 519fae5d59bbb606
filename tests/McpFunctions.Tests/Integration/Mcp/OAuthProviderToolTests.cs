using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Startup;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>A tool of an OAuth provider the user has not connected answers with URL elicitation (-32042).</summary>
public sealed class OAuthProviderToolTests : IAsyncLifetime
{
    private const string Catalog = """
        {
          "id": "acme-oauth",
          "displayName": "Acme Cloud",
          "auth": { "type": "oauth2" },
          "api": { "baseUrl": "https://api.acme.example", "authHeader": { "name": "Authorization", "value": "Bearer {token}" } },
          "tools": [{
            "name": "acme_whoami",
            "description": "Who the connected Acme user is.",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
            "request": { "method": "GET", "path": "/me" }
          }]
        }
        """;

    private TempCatalog catalog = null!;
    private TestHost host = null!;

    public async Task InitializeAsync()
    {
        catalog = new TempCatalog(Catalog, "acme-oauth.json");
        host = await TestHost.StartAsync(s => s["Providers:CatalogPath"] = catalog.Path);
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        catalog.Dispose();
    }

    [Fact]
    public async Task NotConnectedOAuthProvider_ReturnsUrlElicitationRequired_WithConnectUrl()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        var body = await McpRpc.CallAsync(host, token, "tools/call", """{"name":"acme_whoami","arguments":{"account":"work"}}""");

        var error = body.GetProperty("error");
        Assert.Equal(-32042, error.GetProperty("code").GetInt32());
        Assert.Contains("Acme Cloud not connected", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var elicitation = error.GetProperty("data").GetProperty("elicitations")[0];
        Assert.Equal("url", elicitation.GetProperty("mode").GetString());
        Assert.Equal($"{host.BaseAddress}api/mcp/acme-oauth/authorize?account=work", elicitation.GetProperty("url").GetString());
    }
}
