using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Http.Mcp;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>MCP 2026-07-28 on <c>/api/mcp</c> beside the 2025 revisions: stateless requests (<c>_meta</c> and the
/// <c>Mcp-Method</c>/<c>Mcp-Name</c> headers), <c>server/discover</c>, result envelopes, and each refusal the revision
/// names, with its code and HTTP status; the current official TypeScript client pinned to each revision.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class Mcp2026Tests(LocalHostFixture fixture)
{
    public const string Version = "2026-07-28";

    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Discover_AnswersVersionsCapabilitiesIdentity_AsACacheablePublicResult()
    {
        var (status, body) = await PostAsync(User(), "server/discover", "{}");

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body.GetProperty("result");
        Assert.Equal("complete", result.GetProperty("resultType").GetString());
        Assert.Equal(["2026-07-28", "2025-11-25", "2025-06-18"], result.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.False(result.GetProperty("capabilities").GetProperty("tools").GetProperty("listChanged").GetBoolean());
        Assert.Equal("public", result.GetProperty("cacheScope").GetString());
        Assert.Equal(3_600_000, result.GetProperty("ttlMs").GetInt64());
        Assert.Equal("mcpfunctions", result.GetProperty("_meta").GetProperty("io.modelcontextprotocol/serverInfo").GetProperty("name").GetString());
    }

    [Fact]
    public async Task ToolsList_IsPrivate_WithTheConnectionCacheTtl_AndDeterministicOrder()
    {
        var (token, _) = await McpRpc.ConnectedUserAsync(Host, "Ordered Workspace");

        var (_, first) = await PostAsync(token, "tools/list", "{}");
        var (_, second) = await PostAsync(token, "tools/list", "{}");

        var result = first.GetProperty("result");
        Assert.Equal("complete", result.GetProperty("resultType").GetString());
        Assert.Equal("private", result.GetProperty("cacheScope").GetString());
        Assert.Equal(10_000, result.GetProperty("ttlMs").GetInt64());
        Assert.NotNull(result.GetProperty("_meta").GetProperty("io.modelcontextprotocol/serverInfo").GetProperty("version").GetString());
        var names = result.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.NotEmpty(names);
        Assert.Equal(names, second.GetProperty("result").GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task NoHandshake_ToolsCallRunsStraightAway_WithResultTypeAndServerInfo()
    {
        var (token, key) = await McpRpc.ConnectedUserAsync(Host, "Straight Workspace");
        Host.Notion.AddPage(key, "Quarterly plan");

        var (status, body) = await PostAsync(token, "tools/call", """{"name":"notion_search_pages","arguments":{"query":"Quarterly"}}""", name: "notion_search_pages");

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body.GetProperty("result");
        Assert.Equal("complete", result.GetProperty("resultType").GetString());
        Assert.False(McpRpc.IsError(result), body.ToString());
        Assert.Contains("Quarterly plan", McpRpc.Text(result), StringComparison.Ordinal);
        Assert.True(result.GetProperty("_meta").TryGetProperty("io.modelcontextprotocol/serverInfo", out _));
    }

    [Fact]
    public async Task Base64McpName_IsDecodedBeforeComparing()
    {
        var (token, _) = await McpRpc.ConnectedUserAsync(Host, "Encoded Workspace");
        var encoded = "=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("notion_search_pages")) + "?=";

        var (status, body) = await PostAsync(token, "tools/call", """{"name":"notion_search_pages","arguments":{"query":"x"}}""", name: encoded);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("complete", body.GetProperty("result").GetProperty("resultType").GetString());
    }

    [Theory]
    [InlineData("missing _meta", -32602, 400)]
    [InlineData("_meta without clientCapabilities", -32602, 400)]
    [InlineData("version header missing", -32020, 400)]
    [InlineData("version header differs from _meta", -32020, 400)]
    [InlineData("unsupported version", -32022, 400)]
    [InlineData("Mcp-Method missing", -32020, 400)]
    [InlineData("Mcp-Method differs", -32020, 400)]
    [InlineData("Mcp-Method differs in case", -32020, 400)]
    [InlineData("Mcp-Name missing", -32020, 400)]
    [InlineData("Mcp-Name differs", -32020, 400)]
    [InlineData("Mcp-Name broken Base64", -32020, 400)]
    [InlineData("ping is removed", -32601, 404)]
    [InlineData("logging/setLevel is removed", -32601, 404)]
    [InlineData("initialize with _meta", -32601, 404)]
    [InlineData("unknown method", -32601, 404)]
    public async Task BadRequest_GetsTheRevisionsErrorAndStatus_AndTheHostKeepsServing(string defect, int code, int httpStatus)
    {
        var token = User();
        var (method, paramsJson, headers) = defect switch
        {
            "missing _meta" => ("tools/list", "{}", Headers("tools/list")),
            "_meta without clientCapabilities" => ("tools/list", $$$"""{"_meta":{"io.modelcontextprotocol/protocolVersion":"{{{Version}}}"}}""", Headers("tools/list")),
            "version header missing" => ("tools/list", Params("{}"), Headers("tools/list", version: null)),
            "version header differs from _meta" => ("tools/list", Params("{}"), Headers("tools/list", version: "2025-11-25")),
            "unsupported version" => ("tools/list", Params("{}", "2099-01-01"), Headers("tools/list", version: "2099-01-01")),
            "Mcp-Method missing" => ("tools/list", Params("{}"), Headers(null)),
            "Mcp-Method differs" => ("tools/list", Params("{}"), Headers("prompts/list")),
            "Mcp-Method differs in case" => ("tools/list", Params("{}"), Headers("TOOLS/LIST")),
            "Mcp-Name missing" => ("tools/call", Params("""{"name":"notion_search_pages"}"""), Headers("tools/call")),
            "Mcp-Name differs" => ("tools/call", Params("""{"name":"notion_search_pages"}"""), Headers("tools/call", name: "notion_read_page")),
            "Mcp-Name broken Base64" => ("tools/call", Params("""{"name":"notion_search_pages"}"""), Headers("tools/call", name: "=?base64?***?=")),
            "ping is removed" => ("ping", Params("{}"), Headers("ping")),
            "logging/setLevel is removed" => ("logging/setLevel", Params("""{"level":"info"}"""), Headers("logging/setLevel")),
            "initialize with _meta" => ("initialize", Params("""{"protocolVersion":"2026-07-28","capabilities":{},"clientInfo":{"name":"x","version":"1"}}"""), Headers("initialize")),
            _ => ("no/such/method", Params("{}"), Headers("no/such/method")),
        };

        var (status, body) = await SendAsync(token, $$$"""{"jsonrpc":"2.0","id":"req-7","method":"{{{method}}}","params":{{{paramsJson}}}}""", headers);

        Assert.Equal(httpStatus, (int)status);
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("req-7", body.GetProperty("id").GetString());
        if (code == -32022)
        {
            var data = body.GetProperty("error").GetProperty("data");
            Assert.Equal("2099-01-01", data.GetProperty("requested").GetString());
            Assert.Contains("2026-07-28", data.GetProperty("supported").EnumerateArray().Select(v => v.GetString()));
        }

        var (after, _) = await PostAsync(token, "server/discover", "{}");
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task LegacyRequests_AreUnchanged_NoResultTypeAndPingWorks()
    {
        var token = User();

        var ping = await McpRpc.ResultAsync(Host, token, "ping");
        var list = await McpRpc.ResultAsync(Host, token, "tools/list");

        Assert.Equal(JsonValueKind.Object, ping.ValueKind);
        Assert.False(ping.TryGetProperty("resultType", out _));
        Assert.False(list.TryGetProperty("resultType", out _));
        Assert.False(list.TryGetProperty("ttlMs", out _));
    }

    [Fact]
    public async Task InputResponsesWithoutRequestState_IsInvalidParams()
    {
        var token = User();

        var (status, body) = await PostAsync(
            token, "tools/call", """{"name":"notion_search_pages","arguments":{},"inputResponses":{"connect_notion":{"action":"accept"}}}""", name: "notion_search_pages");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32602, body.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("tampered")]
    [InlineData("expired")]
    [InlineData("another user's")]
    [InlineData("another tool's")]
    public async Task RequestState_NotOursForThisCall_IsInvalidParams_AndNothingRuns(string defect)
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.For(user, "acme");
        var protector = Host.Services.GetRequiredService<RequestStateProtector>();
        var valid = new ConnectRequestState("acme", user, "notion_search_pages", "notion", "default", DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(), "n1");
        var state = defect switch
        {
            "forged" => "v1.bG9jYWw.eyJ0aWQiOiJhY21lIn0.AAAA",
            "tampered" => Tamper(await protector.ProtectAsync(valid, CancellationToken.None)),
            "expired" => await protector.ProtectAsync(valid with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds() }, CancellationToken.None),
            "another user's" => await protector.ProtectAsync(valid with { UserId = "someone-else" }, CancellationToken.None),
            _ => await protector.ProtectAsync(valid with { Tool = "notion_read_page" }, CancellationToken.None),
        };

        var (status, body) = await PostAsync(
            token, "tools/call", $$$$"""{"name":"notion_search_pages","arguments":{},"requestState":"{{{{state}}}}","inputResponses":{"connect_notion":{"action":"accept"}}}""", name: "notion_search_pages");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32602, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("requestState", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await Host.Services.GetRequiredService<IConnectionStore>().ListAsync("acme", user, CancellationToken.None));
    }

    [Fact]
    public async Task TraceParentInMeta_ContinuesIntoOurLogLines()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var meta = $$$"""{"io.modelcontextprotocol/protocolVersion":"{{{Version}}}","io.modelcontextprotocol/clientCapabilities":{},"traceparent":"00-{{{traceId}}}-00f067aa0ba902b7-01"}""";

        // A user with nothing connected: the call fails, and says so in a log line.
        var body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"notion_search_pages\",\"_meta\":" + meta + "}}";
        await SendAsync(User(), body, Headers("tools/call", name: "notion_search_pages"));

        Assert.Contains(Host.Logs.Lines, l => l.Contains("notion_search_pages failed", StringComparison.Ordinal) && l.Contains(traceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notification_WithThe2026Header_IsAccepted()
    {
        var (status, _) = await SendAsync(User(), """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}""", Headers(null));

        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    private static string Tamper(string state)
    {
        var parts = state.Split('.');
        parts[2] = parts[2][..^2] + (parts[2][^2] == 'A' ? "B" : "A") + parts[2][^1];
        return string.Join('.', parts);
    }

    private static string User() => TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

    private static string Params(string paramsJson, string version = Version)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(paramsJson)!.AsObject();
        node["_meta"] = new System.Text.Json.Nodes.JsonObject
        {
            ["io.modelcontextprotocol/protocolVersion"] = version,
            ["io.modelcontextprotocol/clientCapabilities"] = new System.Text.Json.Nodes.JsonObject(),
        };
        return node.ToJsonString();
    }

    private static Dictionary<string, string> Headers(string? method, string? version = Version, string? name = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (version is not null)
        {
            headers["MCP-Protocol-Version"] = version;
        }

        if (method is not null)
        {
            headers["Mcp-Method"] = method;
        }

        if (name is not null)
        {
            headers["Mcp-Name"] = name;
        }

        return headers;
    }

    /// <summary>A well-formed 2026-07-28 request: <c>_meta</c> and every header it needs.</summary>
    private Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string token, string method, string paramsJson, string? name = null) =>
        SendAsync(token, $$$"""{"jsonrpc":"2.0","id":1,"method":"{{{method}}}","params":{{{Params(paramsJson)}}}}""", Headers(method, name: name));

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(string token, string body, Dictionary<string, string> headers)
    {
        var (status, json, response) = await McpRpc.PostAsync(Host, token, body, request =>
        {
            foreach (var (header, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }
        });
        response.Dispose();
        return (status, json);
    }
}
