using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Provider rate limits and failures seen through tools/call; own host, so circuit state stays here.</summary>
public sealed class McpResilienceTests : IAsyncLifetime
{
    private TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync(s => s["Mcp:ToolsPageSize"] = "8");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task ReadTool_429WithRetryAfter_IsRetried_AndSucceeds()
    {
        var (token, _) = await ConnectedUserAsync(host, "Busy");
        host.Notion.FailNext(1, 429, TimeSpan.FromSeconds(1));
        host.Notion.ClearRequests();

        var result = await ToolAsync(host, token, "notion_get_bot_user");

        Assert.False(IsError(result), Text(result));
        Assert.Equal(2, host.Notion.RequestCount);
    }

    [Fact]
    public async Task WriteTool_429_IsNotRetried_AndTellsTheModelToWait()
    {
        var (token, key) = await ConnectedUserAsync(host, "Busy writes");
        var page = host.Notion.AddPage(key, "Target");
        host.Notion.FailNext(1, 429, TimeSpan.FromSeconds(1));
        host.Notion.ClearRequests();

        var result = await ToolAsync(host, token, "notion_create_page",
            $$$$"""{"parent_page_id":"{{{{page}}}}","properties":{"title":{"title":[{"text":{"content":"x"}}]}}}""");

        Assert.True(IsError(result));
        Assert.Contains("429", Text(result), StringComparison.Ordinal);
        Assert.Contains("PROVIDER_ERROR", Text(result), StringComparison.Ordinal);
        Assert.Equal(1, host.Notion.RequestCount);
    }

    [Fact]
    public async Task ToolsList_Paginates_WithCursor()
    {
        var (token, _) = await ConnectedUserAsync(host, "Paged");
        var names = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var result = await ResultAsync(host, token, "tools/list", cursor is null ? "{}" : $$$"""{"cursor":"{{{cursor}}}"}""");
            names.AddRange(result.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
            cursor = result.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(21, names.Distinct().Count());
    }

    [Fact]
    public async Task ProviderFailingRepeatedly_OpensTheCircuit_AndCallsFailFastWithoutReachingIt()
    {
        var (token, _) = await ConnectedUserAsync(host, "Down");
        host.Notion.FailNext(1000, 500);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(IsError(await ToolAsync(host, token, "notion_get_bot_user")));
        }

        host.Notion.ClearRequests();
        var result = await ToolAsync(host, token, "notion_get_bot_user");

        Assert.True(IsError(result));
        Assert.Contains("failing repeatedly", Text(result), StringComparison.Ordinal);
        Assert.Equal(0, host.Notion.RequestCount);
    }
}
