using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration;

/// <summary>The classes of defect an outside attack found (issue 9), each answered with a stable code and nothing stored.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class HostileInputTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Mcp_InvalidUtf8_IsAParseErrorNotA500()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        byte[] body = [.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"notion_search_pages\",\"arguments\":{\"query\":\""u8, 0xFF, 0xFE, .. "\"}}}"u8];

        var (status, json) = await PostRawAsync("/api/mcp", token, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32700, json.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_search_pages","arguments":{"query":"\ud800"}}}""", -32700)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{}}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list"}""", -32600)]
    [InlineData("""{"jsonrpc":[],"id":1,"method":"tools/list"}""", -32600)] // found by the fuzz suite: was HTTP 500
    [InlineData("""{"jsonrpc":{"v":"2.0"},"method":"tools/call"}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_search_pages","name":"notion_search_pages","arguments":{}}}""", -32600)]
    public async Task Mcp_SurrogatesAndDuplicateMembers_AreRefusedWithTheirJsonRpcCode(string body, int code)
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        var (status, json) = await PostRawAsync("/api/mcp", token, Encoding.UTF8.GetBytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, json.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("""{"api_key":"secret_a","api_key":"secret_b"}""")]
    [InlineData("""{"api_key":"secret_a","account":"work","account":"home"}""")]
    [InlineData("""{"api_key":"secret_\ud800"}""")]
    [InlineData("""{"api_key":"secret_ü"}""")] // a header cannot carry it: the caller's error, never the provider's
    [InlineData("""{"api_key":"secret_a","account":"work\n"}""")]
    [InlineData("""{"api_key":"secret_a","account":".."}""")]
    [InlineData("""{"api_key":"secret_a","account":"."}""")]
    public async Task Connect_HostileBody_Is400ValidationErrorAndStoresNothing(string body)
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.For(user, "acme");

        var (status, json) = await PostRawAsync("/api/mcp/notion/connect", token, Encoding.UTF8.GetBytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("VALIDATION_ERROR", json.GetProperty("code").GetString());
        Assert.DoesNotContain(await Host.RawConnectionDocumentsAsync(), d => d.Contains(user, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("work%0A")]
    [InlineData("..")]
    [InlineData("%2E")]
    public async Task Status_AccountWithTrailingNewlineOrDots_Is400(string account)
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        using var response = await Host.SendAsync(HttpMethod.Get, $"/api/mcp/notion/status?account={account}", token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task NonAsciiKeys_FromOneTenant_NeverPauseTheProviderForAnother()
    {
        // Before: each such connect counted as a provider failure; six opened Notion's circuit for everyone.
        var attacker = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "tenant-x");
        for (var i = 0; i < 25; i++)
        {
            var (status, _) = await PostRawAsync("/api/mcp/notion/connect", attacker, Encoding.UTF8.GetBytes($$"""{"api_key":"secret_ä{{i}}"}"""));
            Assert.Equal(HttpStatusCode.BadRequest, status);
        }

        var (victim, _) = await McpRpc.ConnectedUserAsync(Host, "Victim Workspace", tenant: "tenant-y");
        var result = await McpRpc.ToolAsync(Host, victim, "notion_search_pages", """{"query":""}""");

        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));
    }

    [Fact]
    public async Task ProviderErrorText_ReachesTheCallerButNotTheLogs()
    {
        // Providers echo what they were sent; their words stay out of our logs, which say status and code.
        await using var host = await TestHost.StartAsync();
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        using var response = await host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token,
            new StringContent("""{"api_key":"secret_not_a_real_key_0123456789"}""", Encoding.UTF8, "application/json"));

        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("PROVIDER_REJECTED_CREDENTIAL", problem.GetProperty("code").GetString());
        Assert.Contains("API token is invalid", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("API token is invalid", host.Logs.All, StringComparison.Ordinal);
        Assert.Contains("the provider answered HTTP 401", host.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("secret_not_a_real_key", host.Logs.All, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostRawAsync(string path, string token, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = Host.Request(HttpMethod.Post, path, token, content);
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }
}
