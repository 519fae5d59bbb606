using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Http.Mcp;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>
/// A chat backend's flow through the official TypeScript MCP client (<c>tools/localstack/mcp-client.mjs</c>)
/// over real HTTP to the LocalHost: initialize, tools/list (all pages), tools/call.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class McpClientTests(LocalHostFixture fixture)
{
    private const int NotionToolCount = 21;

    private TestHost Host => fixture.Host;

    [Fact]
    public async Task OfficialClient_ConnectedUser_InitializesListsAndSearches()
    {
        var (token, apiKey) = await ConnectedUser("Roadmap Workspace");
        var pageId = Host.Notion.AddPage(apiKey, "Roadmap");
        Host.Notion.AddPage(apiKey, "Budget");

        var result = await RunClient(token, "notion_search_pages", """{"query":"Roadmap"}""");

        Assert.Contains(result.GetProperty("protocolVersion").GetString(), McpProtocol.SupportedVersions);
        Assert.Equal("mcpfunctions", result.GetProperty("serverName").GetString());
        var names = result.GetProperty("tools").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Equal(NotionToolCount, names.Count);
        Assert.All(names, n => Assert.StartsWith("notion_", n, StringComparison.Ordinal));
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("notion_search_pages", names);
        Assert.Contains("notion_read_page_content", names);
        Assert.All(result.GetProperty("toolList").EnumerateArray(), tool =>
        {
            var schema = tool.GetProperty("inputSchema");
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.Equal("string", schema.GetProperty("properties").GetProperty("account").GetProperty("type").GetString());
        });

        var call = result.GetProperty("call");
        Assert.False(IsError(call), Text(call));
        var found = call.GetProperty("structuredContent").GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("id").GetString())
            .ToList();
        Assert.Contains(pageId, found);
        Assert.Contains("Roadmap", Text(call), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialClient_SendsNegotiatedVersionHeader_AndServerAcceptsIt()
    {
        var (token, _) = await ConnectedUser("Headers");

        var result = await RunClient(token, "notion_get_bot_user", "{}");

        var negotiated = result.GetProperty("protocolVersion").GetString();
        var posts = result.GetProperty("exchanges").EnumerateArray().Where(e => e.GetProperty("method").GetString() == "POST").ToList();
        var initialize = posts.First();
        Assert.Equal("initialize", initialize.GetProperty("rpc").GetString());
        Assert.Equal(JsonValueKind.Null, initialize.GetProperty("protocolVersionHeader").ValueKind);
        Assert.All(posts.Skip(1), e => Assert.Equal(negotiated, e.GetProperty("protocolVersionHeader").GetString()));
        Assert.Contains(posts, e => e.GetProperty("rpc").GetString() == "notifications/initialized" && e.GetProperty("status").GetInt32() == 202);
        Assert.All(posts.Where(e => e.GetProperty("rpc").GetString() != "notifications/initialized"), e =>
        {
            Assert.Equal(200, e.GetProperty("status").GetInt32());
            Assert.StartsWith("application/json", e.GetProperty("contentType").GetString(), StringComparison.Ordinal);
        });
        // Stateless: no session is ever handed out.
        Assert.All(posts, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("sessionId").ValueKind));
        Assert.False(IsError(result.GetProperty("call")), Text(result.GetProperty("call")));
    }

    [Fact]
    public async Task OfficialClient_AcceptingOnlyEventStream_GetsTheSameResultsAsSse()
    {
        var (token, apiKey) = await ConnectedUser("Event Stream");
        var pageId = Host.Notion.AddPage(apiKey, "Roadmap");

        var result = await RunClient(token, "notion_search_pages", """{"query":"Roadmap"}""", acceptSseOnly: true);

        var answered = result.GetProperty("exchanges").EnumerateArray()
            .Where(e => e.GetProperty("method").GetString() == "POST" && e.GetProperty("status").GetInt32() == 200)
            .ToList();
        Assert.Equal(["initialize", "tools/list", "tools/call"], answered.Select(e => e.GetProperty("rpc").GetString()));
        Assert.All(answered, e => Assert.StartsWith("text/event-stream", e.GetProperty("contentType").GetString(), StringComparison.Ordinal));
        Assert.Equal(NotionToolCount, result.GetProperty("tools").GetArrayLength());
        var call = result.GetProperty("call");
        Assert.False(IsError(call), Text(call));
        Assert.Contains(pageId, call.GetProperty("structuredContent").GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task OfficialClient_InvalidToken_FailsBeforeInitializeWith401()
    {
        var forged = TestTokens.Custom(user: "user-" + Guid.NewGuid().ToString("N"), key: new string('x', 64));

        var run = await RunClientProcess(forged);

        Assert.True(run.ExitCode != 0, run.Describe());
        Assert.Contains("AUTH_INVALID_TOKEN", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("protocolVersion", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialClient_ReadPageContent_FollowsNotionPagination()
    {
        var (token, apiKey) = await ConnectedUser("Long Pages");
        var pageId = Host.Notion.AddPage(apiKey, "Meeting notes");
        var paragraphs = Enumerable.Range(1, 250).Select(i => $"Paragraph number {i:000} of the notes").ToList();
        Host.Notion.AddBlocks(apiKey, pageId, paragraphs);

        var result = await RunClient(token, "notion_read_page_content", $$"""{"page_id":"{{pageId}}"}""");

        var call = result.GetProperty("call");
        Assert.False(IsError(call), Text(call));
        var text = Text(call);
        Assert.Contains(paragraphs[0], text, StringComparison.Ordinal);
        Assert.Contains(paragraphs[99], text, StringComparison.Ordinal);
        Assert.Contains(paragraphs[100], text, StringComparison.Ordinal);
        Assert.Contains(paragraphs[^1], text, StringComparison.Ordinal);
        Assert.True(text.IndexOf(paragraphs[0], StringComparison.Ordinal) < text.IndexOf(paragraphs[^1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task OfficialClient_NoConnection_ListsZeroTools()
    {
        var token = NewToken();

        var result = await RunClient(token);

        Assert.Contains(result.GetProperty("protocolVersion").GetString(), McpProtocol.SupportedVersions);
        Assert.Equal(0, result.GetProperty("tools").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("call").ValueKind);
    }

    [Fact]
    public async Task OfficialClient_CallWithoutNotionConnection_ReturnsIsErrorResult()
    {
        var token = NewToken();

        var result = await RunClient(token, "notion_read_page", """{"page_id":"0b3c3a4e-0d1f-4d56-9a43-2f0b6a2c1e77"}""");

        var call = result.GetProperty("call");
        Assert.True(IsError(call));
        Assert.Contains("Notion not connected", Text(call), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialClient_UnknownTool_GetsJsonRpcInvalidParams()
    {
        var (token, _) = await ConnectedUser("Unknown Tool");

        var result = await RunClient(token, "notion_does_not_exist", "{}");

        var error = result.GetProperty("error");
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Contains("notion_does_not_exist", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> RunClient(string token, string? tool = null, string? arguments = null, bool acceptSseOnly = false)
    {
        var run = await RunClientProcess(token, tool, arguments, acceptSseOnly);
        Assert.True(run.ExitCode == 0, run.Describe());
        return run.Json;
    }

    private Task<NodeRun> RunClientProcess(string token, string? tool = null, string? arguments = null, bool acceptSseOnly = false)
    {
        List<string> args = acceptSseOnly ? ["--accept-sse-only"] : [];
        args.Add(Host.BaseAddress.ToString());
        args.Add(token);
        if (tool is not null)
        {
            args.Add(tool);
            args.Add(arguments ?? "{}");
        }

        return NodeScript.RunAsync("mcp-client.mjs", args);
    }

    private async Task<(string Token, string ApiKey)> ConnectedUser(string workspace)
    {
        var token = NewToken();
        var apiKey = Host.Notion.AddIntegration(workspace);
        using var body = new StringContent($$"""{"api_key":"{{apiKey}}"}""", Encoding.UTF8, "application/json");
        using var connect = await Host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, body);
        Assert.True(connect.StatusCode == HttpStatusCode.OK, await connect.Content.ReadAsStringAsync());
        return (token, apiKey);
    }

    private static string NewToken() => TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

    private static bool IsError(JsonElement call) =>
        call.TryGetProperty("isError", out var isError) && isError.ValueKind == JsonValueKind.True;

    private static string Text(JsonElement call) =>
        string.Concat(call.GetProperty("content").EnumerateArray()
            .Where(c => c.GetProperty("type").GetString() == "text")
            .Select(c => c.GetProperty("text").GetString()));
}
