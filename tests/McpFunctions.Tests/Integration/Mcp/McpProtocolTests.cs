using System.Net;
using System.Text;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Mcp;

[Collection(LocalHostCollection.Name)]
public sealed class McpProtocolTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static string Token() => TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

    [Theory]
    [InlineData("2025-06-18", "2025-06-18")]
    [InlineData("2025-11-25", "2025-11-25")]
    [InlineData("2024-11-05", "2025-11-25")]
    public async Task Initialize_NegotiatesVersion_WithoutSession(string requested, string expected)
    {
        var (status, body, response) = await McpRpc.PostAsync(Host, Token(),
            $$$$"""{"jsonrpc":"2.0","id":"init-1","method":"initialize","params":{"protocolVersion":"{{{{requested}}}}","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("init-1", body.GetProperty("id").GetString());
        var result = body.GetProperty("result");
        Assert.Equal(expected, result.GetProperty("protocolVersion").GetString());
        Assert.True(result.GetProperty("capabilities").TryGetProperty("tools", out _));
        Assert.Equal("mcpfunctions", result.GetProperty("serverInfo").GetProperty("name").GetString());
        Assert.False(response.Headers.Contains("Mcp-Session-Id"));
    }

    [Fact]
    public async Task Ping_ReturnsEmptyResult()
    {
        Assert.Empty((await McpRpc.ResultAsync(Host, Token(), "ping")).EnumerateObject());
    }

    [Fact]
    public async Task Notification_Returns202WithNoBody()
    {
        var (status, _, response) = await McpRpc.PostAsync(Host, Token(), """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task OtherMethods_Return405(string method)
    {
        using var response = await Host.SendAsync(new HttpMethod(method), "/api/mcp", Token());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Theory]
    [InlineData("{not json", -32700, 400)]
    [InlineData("", -32700, 400)]
    [InlineData("""{"foo":1}""", -32600, 400)]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""", -32600, 400)]
    [InlineData("""{"id":1,"method":"ping"}""", -32600, 400)]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"ping"}""", -32600, 400)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":42}""", -32600, 400)]
    [InlineData("""{"jsonrpc":"2.0","id":null,"method":"ping"}""", -32600, 400)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}""", -32602, 400)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"resources/list"}""", -32601, 200)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no_such_tool"}}""", -32602, 200)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}""", -32602, 200)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"bm9wZQ=="}}""", -32602, 200)]
    public async Task BadMessages_GetTheSpecsErrorCode_AndTheHostKeepsServing(string body, int code, int httpStatus)
    {
        var token = Token();
        var (status, json, _) = await McpRpc.PostAsync(Host, token, body);

        Assert.Equal(httpStatus, (int)status);
        Assert.Equal(code, json.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("2.0", json.GetProperty("jsonrpc").GetString());
        var ping = await McpRpc.CallAsync(Host, token, "ping");
        Assert.True(ping.TryGetProperty("result", out _));
    }

    [Fact]
    public async Task DeeplyNestedJson_IsAParseError()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        var (status, json, _) = await McpRpc.PostAsync(Host, Token(), $$$"""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":{{{nested}}}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32700, json.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task OneMebibyteBody_Returns413WithJsonRpcError()
    {
        var big = new string('x', 1024 * 1024);
        var (status, json, _) = await McpRpc.PostAsync(Host, Token(), $$$"""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"{{{big}}}"}}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(-32600, json.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task UnsupportedProtocolVersionHeader_Returns400()
    {
        var (status, json, _) = await McpRpc.PostAsync(Host, Token(), """{"jsonrpc":"2.0","id":1,"method":"ping"}""",
            r => r.Headers.Add("MCP-Protocol-Version", "1999-01-01"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("1999-01-01", json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SupportedProtocolVersionHeader_IsAccepted()
    {
        var (status, _, _) = await McpRpc.PostAsync(Host, Token(), """{"jsonrpc":"2.0","id":1,"method":"ping"}""",
            r => r.Headers.Add("MCP-Protocol-Version", "2025-06-18"));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")] // what sandboxed frames and file:// pages send
    public async Task ForeignOrigin_Returns403OriginNotAllowed(string origin)
    {
        var (status, body, response) = await McpRpc.PostAsync(Host, Token(), """{"jsonrpc":"2.0","id":1,"method":"ping"}""",
            r => r.Headers.Add("Origin", origin));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ORIGIN_NOT_ALLOWED", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AllowedOrigin_IsServed_AndOthersStillGetOriginNotAllowed()
    {
        await using var host = await TestHost.StartAsync(s =>
        {
            s["Mcp:AllowedOrigins:0"] = "https://chat.example.com";
            s["Mcp:AllowedOrigins:1"] = "http://localhost:3000";
        });
        const string Ping = """{"jsonrpc":"2.0","id":1,"method":"ping"}""";

        var (allowed, result, _) = await McpRpc.PostAsync(host, Token(), Ping, r => r.Headers.Add("Origin", "https://CHAT.example.com"));
        var (local, _, _) = await McpRpc.PostAsync(host, Token(), Ping, r => r.Headers.Add("Origin", "http://localhost:3000"));
        var (serverSide, _, _) = await McpRpc.PostAsync(host, Token(), Ping);
        var (otherPort, refused, _) = await McpRpc.PostAsync(host, Token(), Ping, r => r.Headers.Add("Origin", "https://chat.example.com:8443"));

        Assert.Equal(HttpStatusCode.OK, allowed);
        Assert.True(result.TryGetProperty("result", out _), result.ToString());
        Assert.Equal(HttpStatusCode.OK, local);
        Assert.Equal(HttpStatusCode.OK, serverSide);
        Assert.Equal(HttpStatusCode.Forbidden, otherPort);
        Assert.Equal("ORIGIN_NOT_ALLOWED", refused.GetProperty("code").GetString());
    }

    [Fact]
    public async Task MissingToken_Returns401WithResourceMetadataChallenge()
    {
        var (status, _, response) = await McpRpc.PostAsync(Host, null, """{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains($"resource_metadata=\"{Host.BaseAddress}.well-known/oauth-protected-resource/api/mcp\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongAudienceToken_Returns401()
    {
        var (status, _, _) = await McpRpc.PostAsync(Host, TestTokens.Custom(audience: "https://other-resource.example"), """{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Theory]
    [InlineData("/.well-known/oauth-protected-resource")]
    [InlineData("/.well-known/oauth-protected-resource/api/mcp")]
    public async Task ProtectedResourceMetadata_NamesResourceAndAuthorizationServer(string path)
    {
        using var response = await Host.Http.GetAsync(new Uri(path, UriKind.Relative));
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{Host.BaseAddress}api/mcp", json.GetProperty("resource").GetString());
        Assert.Equal(TestTokens.Issuer, json.GetProperty("authorization_servers")[0].GetString());
        Assert.Equal("header", json.GetProperty("bearer_methods_supported")[0].GetString());
    }

    [Fact]
    public async Task AcceptOnlyEventStream_AnswersAsOneSseEvent()
    {
        var request = Host.Request(HttpMethod.Post, "/api/mcp", Token(), new StringContent("""{"jsonrpc":"2.0","id":7,"method":"ping"}""", Encoding.UTF8, "application/json"));
        request.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("event: message\ndata: {", text, StringComparison.Ordinal);
        Assert.EndsWith("}\n\n", text, StringComparison.Ordinal);
        Assert.Contains("\"id\":7", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotificationWithUnsupportedVersionHeader_Returns400()
    {
        var (status, _, _) = await McpRpc.PostAsync(Host, Token(), """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            r => r.Headers.Add("MCP-Protocol-Version", "1999-01-01"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task AcceptWithJsonAtQZero_AnswersAsSse()
    {
        var request = Host.Request(HttpMethod.Post, "/api/mcp", Token(), new StringContent("""{"jsonrpc":"2.0","id":8,"method":"ping"}""", Encoding.UTF8, "application/json"));
        request.Headers.TryAddWithoutValidation("Accept", "application/json;q=0, text/event-stream");
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
    }
}
