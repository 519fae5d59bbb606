using System.Net;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration;

/// <summary>Two LocalHost instances over one Cosmos database and one Redis, as in a scaled-out deployment.</summary>
public sealed class ConnectionCacheTests : IAsyncLifetime
{
    private TestHost first = null!;
    private TestHost second = null!;

    public async Task InitializeAsync()
    {
        // A long TTL, so only the Redis eviction message can explain a prompt change on the other instance.
        first = await TestHost.StartAsync(s => s["Cache:ConnectionSeconds"] = "300");
        second = await TestHost.StartAsync(
            s =>
            {
                s["Cache:ConnectionSeconds"] = "300";
                s["COSMOS:databaseName"] = first.DatabaseName;
                s["MCP_ENCRYPTION_KEY"] = first.EncryptionKey;
            },
            first.Notion);
    }

    public async Task DisposeAsync()
    {
        await second.DisposeAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task DisconnectOnOneInstance_IsSeenByTheOtherAtOnce()
    {
        var (token, _) = await McpRpc.ConnectedUserAsync(first, "Scaled out");
        var warm = await McpRpc.ToolAsync(second, token, "notion_get_bot_user");
        Assert.False(McpRpc.IsError(warm), McpRpc.Text(warm));

        using var disconnect = await first.SendAsync(HttpMethod.Delete, "/api/mcp/notion/disconnect", token);
        Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        string text;
        do
        {
            text = McpRpc.Text(await McpRpc.ToolAsync(second, token, "notion_get_bot_user"));
        }
        while (!text.Contains("not connected", StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Pause());

        Assert.Contains("Notion not connected", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReconnectOnOneInstance_ReplacesTheKeyTheOtherUses()
    {
        var (token, oldKey) = await McpRpc.ConnectedUserAsync(first, "Before");
        await McpRpc.ToolAsync(second, token, "notion_get_bot_user");
        var newKey = first.Notion.AddIntegration("After");
        using var reconnect = await first.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token,
            new StringContent($$"""{"api_key":"{{newKey}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, reconnect.StatusCode);
        first.Notion.RevokeToken(oldKey);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        string? workspace;
        do
        {
            var result = await McpRpc.ToolAsync(second, token, "notion_get_bot_user");
            workspace = McpRpc.IsError(result) ? null : result.GetProperty("structuredContent").GetProperty("bot").GetProperty("workspace_name").GetString();
        }
        while (workspace != "After" && DateTime.UtcNow < deadline && await Pause());

        Assert.Equal("After", workspace);
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(100);
        return true;
    }
}
