using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary><c>notion_read_page_content</c> reads content nested in blocks too, against the Notion stand-in.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class NotionPageContentTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task ReadPageContent_ToggleWithNestedList_ReadsEveryLevelIndented_AndLeavesSubPagesToTheirOwnCall()
    {
        var (token, key) = await ConnectedUserAsync(Host, "Nested");
        var page = Host.Notion.AddPage(key, "Handbook");
        var appended = await ToolAsync(Host, token, "notion_append_blocks", $$$"""
            {"block_id":"{{{page}}}","children":[
              {"object":"block","type":"heading_2","heading_2":{"rich_text":[{"type":"text","text":{"content":"Onboarding"}}]}},
              {"object":"block","type":"toggle","toggle":{"rich_text":[{"type":"text","text":{"content":"First week"}}],"children":[
                {"object":"block","type":"bulleted_list_item","bulleted_list_item":{"rich_text":[{"type":"text","text":{"content":"Laptop"}}],"children":[
                  {"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"Ask IT on day one"}}]}}]}},
                {"object":"block","type":"bulleted_list_item","bulleted_list_item":{"rich_text":[{"type":"text","text":{"content":"Accounts"}}]}}]}},
              {"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"The end"}}]}}]}
            """);
        Assert.False(IsError(appended), Text(appended));
        var subPage = Host.Notion.AddPage(key, "Secret sub-page", page);
        Host.Notion.AddBlocks(key, subPage, ["Not part of the handbook's text"]);

        var content = await ToolAsync(Host, token, "notion_read_page_content", $$$"""{"page_id":"{{{page}}}"}""");

        Assert.False(IsError(content), Text(content));
        Assert.Equal(
            $"## Onboarding\n▸ First week\n  - Laptop\n    Ask IT on day one\n  - Accounts\nThe end\n[page] Secret sub-page ({subPage})",
            Text(content));
        var toggle = content.GetProperty("structuredContent").GetProperty("results")[1];
        Assert.Equal("Laptop", toggle.GetProperty("children")[0].GetProperty("bulleted_list_item").GetProperty("rich_text")[0].GetProperty("plain_text").GetString());
        Assert.DoesNotContain(Host.Notion.Requests, r => r.PathAndQuery.Contains(subPage, StringComparison.Ordinal) || r.PathAndQuery.Contains(subPage.Replace("-", "", StringComparison.Ordinal), StringComparison.Ordinal));
    }
}
