using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Notion's tools work the same for a connection made by OAuth (a public integration's token) as for an API key.</summary>
[Collection(OAuthStandInsCollection.Name)]
public sealed class NotionOAuthToolsTests(OAuthStandInsFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task OAuthConnection_ReadsTheConsentingWorkspaceAsTheIntegrationsBot()
    {
        var workspace = "OAuth WS " + Guid.NewGuid().ToString("N")[..6];
        var person = Host.Notion.AddOAuthUser(workspace, "Ada Lovelace", "ada@example.com");
        var page = Host.Notion.AddPage(Host.Notion.AddIntegration(workspace), "Board minutes");
        var tokens = await fixture.NotionTokensAsync(person);
        var token = await fixture.SeedConnectionAsync("notion", tokens, new Dictionary<string, string>
        {
            ["workspace_name"] = tokens.GetProperty("workspace_name").GetString()!,
            ["bot_id"] = tokens.GetProperty("bot_id").GetString()!,
        });
        Host.Notion.ClearRequests();

        var bot = await ToolAsync(Host, token, "notion_get_bot_user");
        var read = await ToolAsync(Host, token, "notion_read_page", $$"""{"page_id":"{{page}}"}""");

        Assert.False(IsError(bot), Text(bot));
        Assert.Equal(tokens.GetProperty("bot_id").GetString(), bot.GetProperty("structuredContent").GetProperty("id").GetString());
        Assert.Equal(workspace, bot.GetProperty("structuredContent").GetProperty("bot").GetProperty("workspace_name").GetString());
        Assert.Equal(page, read.GetProperty("structuredContent").GetProperty("id").GetString());
        Assert.All(Host.Notion.Requests, r => Assert.Equal($"Bearer {tokens.GetProperty("access_token").GetString()}", r.Header("Authorization")));
    }
}
