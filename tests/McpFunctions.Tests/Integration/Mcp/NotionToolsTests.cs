using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Every Notion tool through <c>tools/call</c>, against the Notion stand-in, as the user who connected.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class NotionToolsTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task ToolsList_ShowsAll21NotionTools_WithAccountArgument_OnlyOnceConnected()
    {
        var stranger = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var none = await ResultAsync(Host, stranger, "tools/list");
        Assert.Equal(0, none.GetProperty("tools").GetArrayLength());

        var (token, _) = await ConnectedUserAsync(Host, "Listing");
        var tools = (await ResultAsync(Host, token, "tools/list")).GetProperty("tools").EnumerateArray().ToList();

        Assert.Equal(21, tools.Count);
        Assert.All(tools, t =>
        {
            Assert.StartsWith("notion_", t.GetProperty("name").GetString(), StringComparison.Ordinal);
            Assert.Equal("string", t.GetProperty("inputSchema").GetProperty("properties").GetProperty("account").GetProperty("type").GetString());
            Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("description").GetString()));
        });
        var readPage = tools.Single(t => t.GetProperty("name").GetString() == "notion_read_page");
        Assert.True(readPage.GetProperty("annotations").GetProperty("readOnlyHint").GetBoolean());
    }

    [Fact]
    public async Task PagesAndContent_ReadSearchCreateUpdateArchiveRestore()
    {
        var (token, key) = await ConnectedUserAsync(Host, "Pages");
        var roadmap = Host.Notion.AddPage(key, "Roadmap 2027");
        Host.Notion.AddBlocks(key, roadmap, Enumerable.Range(1, 250).Select(i => $"Paragraph {i}"));

        var read = await ToolAsync(Host, token, "notion_read_page", $$$"""{"page_id":"{{{roadmap}}}"}""");
        Assert.False(IsError(read), Text(read));
        Assert.Equal(roadmap, read.GetProperty("structuredContent").GetProperty("id").GetString());

        var content = await ToolAsync(Host, token, "notion_read_page_content", $$$"""{"page_id":"{{{roadmap}}}"}""");
        Assert.False(IsError(content), Text(content));
        Assert.Contains("Paragraph 1\n", Text(content), StringComparison.Ordinal);
        Assert.Contains("Paragraph 250", Text(content), StringComparison.Ordinal);
        Assert.Equal(250, content.GetProperty("structuredContent").GetProperty("results").GetArrayLength());

        var search = await ToolAsync(Host, token, "notion_search_pages", """{"query":"roadmap"}""");
        Assert.Contains(search.GetProperty("structuredContent").GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == roadmap);

        var created = await ToolAsync(Host, token, "notion_create_page",
            $$$"""{"parent_page_id":"{{{roadmap}}}","properties":{"title":{"title":[{"text":{"content":"Q1 plan"}}]}},"children":[{"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"Ship it"}}]}}]}""");
        Assert.False(IsError(created), Text(created));
        var newPage = created.GetProperty("structuredContent").GetProperty("id").GetString()!;

        var updated = await ToolAsync(Host, token, "notion_update_page",
            $$$$"""{"page_id":"{{{{newPage}}}}","properties":{"title":{"title":[{"text":{"content":"Q1 plan (final)"}}]}}}""");
        Assert.False(IsError(updated), Text(updated));
        Assert.Contains("Q1 plan (final)", updated.GetProperty("structuredContent").GetRawText(), StringComparison.Ordinal);

        var archived = await ToolAsync(Host, token, "notion_archive_page", $$$"""{"page_id":"{{{newPage}}}"}""");
        Assert.True(archived.GetProperty("structuredContent").GetProperty("archived").GetBoolean());
        var restored = await ToolAsync(Host, token, "notion_restore_page", $$$"""{"page_id":"{{{newPage}}}"}""");
        Assert.False(restored.GetProperty("structuredContent").GetProperty("archived").GetBoolean());
    }

    [Fact]
    public async Task ToolResult_IsWrittenWithoutHtmlEscapes_QuotesAndAccentsStayAsTheyAre()
    {
        const string title = "Relatório \"Q1\" <ação> & próximos passos";
        var (token, key) = await ConnectedUserAsync(Host, "Escapes");
        var page = Host.Notion.AddPage(key, title);

        var (status, _, response) = await PostAsync(Host, token,
            $$$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_read_page","arguments":{"page_id":"{{{{page}}}}"}}}""");
        using (response)
        {
            var raw = await response.Content.ReadAsStringAsync();

            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            // structuredContent holds the title as a JSON string: only the quotes escaped, as JSON requires.
            Assert.Contains("Relatório \\\"Q1\\\" <ação> & próximos passos", raw, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u00", raw, StringComparison.Ordinal); // \u0022 for ", \u00F3 for ó, \u003C for <, ...
        }
    }

    [Fact]
    public async Task Blocks_GetChildrenAppendUpdateDelete()
    {
        var (token, key) = await ConnectedUserAsync(Host, "Blocks");
        var page = Host.Notion.AddPage(key, "Notes");
        Host.Notion.AddBlocks(key, page, ["first", "second"]);

        var children = await ToolAsync(Host, token, "notion_get_block_children", $$$"""{"block_id":"{{{page}}}","page_size":1}""");
        var structured = children.GetProperty("structuredContent");
        Assert.True(structured.GetProperty("has_more").GetBoolean());
        var firstBlock = structured.GetProperty("results")[0].GetProperty("id").GetString()!;

        var block = await ToolAsync(Host, token, "notion_get_block", $$$"""{"block_id":"{{{firstBlock}}}"}""");
        Assert.Equal("paragraph", block.GetProperty("structuredContent").GetProperty("type").GetString());

        var appended = await ToolAsync(Host, token, "notion_append_blocks",
            $$$"""{"block_id":"{{{page}}}","children":[{"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"third"}}]}}]}""");
        Assert.False(IsError(appended), Text(appended));

        var updated = await ToolAsync(Host, token, "notion_update_block",
            $$$"""{"block_id":"{{{firstBlock}}}","paragraph":{"rich_text":[{"type":"text","text":{"content":"first, edited"}}]}}""");
        Assert.Contains("first, edited", updated.GetProperty("structuredContent").GetRawText(), StringComparison.Ordinal);

        var deleted = await ToolAsync(Host, token, "notion_delete_block", $$$"""{"block_id":"{{{firstBlock}}}"}""");
        Assert.True(deleted.GetProperty("structuredContent").GetProperty("archived").GetBoolean());

        var content = Text(await ToolAsync(Host, token, "notion_read_page_content", $$$"""{"page_id":"{{{page}}}"}"""));
        Assert.DoesNotContain("first", content, StringComparison.Ordinal);
        Assert.Contains("third", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Databases_CreateGetUpdateQuery()
    {
        var (token, key) = await ConnectedUserAsync(Host, "Databases");
        var home = Host.Notion.AddPage(key, "Home");

        var created = await ToolAsync(Host, token, "notion_create_database",
            $$$$$"""{"parent_page_id":"{{{{{home}}}}}","title":[{"type":"text","text":{"content":"Tasks"}}],"properties":{"Name":{"title":{}}}}""");
        Assert.False(IsError(created), Text(created));
        var database = created.GetProperty("structuredContent").GetProperty("id").GetString()!;

        var fetched = await ToolAsync(Host, token, "notion_get_database", $$$"""{"database_id":"{{{database}}}"}""");
        Assert.Equal("database", fetched.GetProperty("structuredContent").GetProperty("object").GetString());

        var renamed = await ToolAsync(Host, token, "notion_update_database",
            $$$"""{"database_id":"{{{database}}}","title":[{"type":"text","text":{"content":"Team tasks"}}]}""");
        Assert.Contains("Team tasks", renamed.GetProperty("structuredContent").GetRawText(), StringComparison.Ordinal);

        foreach (var name in new[] { "Write spec", "Review spec", "Ship" })
        {
            var row = await ToolAsync(Host, token, "notion_create_page",
                $$$$"""{"parent_database_id":"{{{{database}}}}","properties":{"Name":{"title":[{"text":{"content":"{{{{name}}}}"}}]}}}""");
            Assert.False(IsError(row), Text(row));
        }

        var query = await ToolAsync(Host, token, "notion_query_database",
            $$$$"""{"database_id":"{{{{database}}}}","filter":{"property":"Name","title":{"contains":"spec"}}}""");
        Assert.Equal(2, query.GetProperty("structuredContent").GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task UsersAndComments()
    {
        var (token, key) = await ConnectedUserAsync(Host, "People");
        var ada = Host.Notion.AddUser(key, "Ada Lovelace", "ada@example.com");
        var page = Host.Notion.AddPage(key, "Discussion");

        var bot = await ToolAsync(Host, token, "notion_get_bot_user");
        Assert.Equal("bot", bot.GetProperty("structuredContent").GetProperty("type").GetString());

        var users = await ToolAsync(Host, token, "notion_list_users", """{"page_size":100}""");
        Assert.Contains(users.GetProperty("structuredContent").GetProperty("results").EnumerateArray(), u => u.GetProperty("id").GetString() == ada);

        var user = await ToolAsync(Host, token, "notion_get_user", $$$"""{"user_id":"{{{ada}}}"}""");
        Assert.Equal("Ada Lovelace", user.GetProperty("structuredContent").GetProperty("name").GetString());

        var comment = await ToolAsync(Host, token, "notion_create_comment",
            $$$"""{"parent":{"page_id":"{{{page}}}"},"rich_text":[{"type":"text","text":{"content":"Looks good"}}]}""");
        Assert.False(IsError(comment), Text(comment));

        var comments = await ToolAsync(Host, token, "notion_list_comments", $$$"""{"block_id":"{{{page}}}"}""");
        Assert.Contains("Looks good", comments.GetProperty("structuredContent").GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"page_id":"../../v1/users"}""", "page_id")]
    [InlineData("""{"page_id":"https://evil.example/x"}""", "page_id")]
    [InlineData("""{"page_id":42}""", "page_id")]
    [InlineData("""{}""", "page_id")]
    [InlineData("""{"page_id":"0c6bd3a4-1c2b-4f6e-9a0e-2b8f2a1c3d4e","extra":1}""", "extra")]
    public async Task BadArguments_AreIsErrorResultsNamingTheField_AndNothingIsSent(string arguments, string field)
    {
        var (token, _) = await ConnectedUserAsync(Host, "Strict");
        var before = Host.Notion.RequestCount;

        var result = await ToolAsync(Host, token, "notion_read_page", arguments);

        Assert.True(IsError(result));
        Assert.Contains(field, Text(result), StringComparison.Ordinal);
        Assert.Contains("VALIDATION_ERROR", Text(result), StringComparison.Ordinal);
        Assert.Equal(before, Host.Notion.RequestCount);
    }

    [Fact]
    public async Task NotConnected_IsAnIsErrorResult_TellingHowToConnect()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var result = await ToolAsync(Host, token, "notion_get_bot_user");

        Assert.True(IsError(result));
        Assert.Contains("Notion not connected", Text(result), StringComparison.Ordinal);
        Assert.Contains("/api/mcp/notion/connect", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Isolation_UserBNeverUsesUserAsCredential_WhateverTheArguments()
    {
        var (alice, aliceKey) = await ConnectedUserAsync(Host, "Alice Inc");
        var (bob, bobKey) = await ConnectedUserAsync(Host, "Bob Ltd");
        var alicePage = Host.Notion.AddPage(aliceKey, "Alice's secrets");
        var aliceUser = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(alice).Subject;
        Host.Notion.ClearRequests();

        var result = await ToolAsync(Host, bob, "notion_read_page", $$$"""{"page_id":"{{{alicePage}}}","account":"default"}""");
        var asAliceAccount = await ToolAsync(Host, bob, "notion_get_bot_user", $$$"""{"account":"{{{aliceUser}}}"}""");

        Assert.True(IsError(result));
        Assert.Contains("404", Text(result), StringComparison.Ordinal);
        Assert.True(IsError(asAliceAccount)); // no such account for Bob
        Assert.All(Host.Notion.Requests, r => Assert.Equal($"Bearer {bobKey}", r.Header("Authorization")));
    }

    [Fact]
    public async Task SecondAccount_IsChosenByTheAccountArgument()
    {
        var (token, _) = await ConnectedUserAsync(Host, "Home WS");
        var workKey = Host.Notion.AddIntegration("Work WS");
        using var connect = await Host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token,
            new StringContent($$$"""{"api_key":"{{{workKey}}}","account":"work"}""", System.Text.Encoding.UTF8, "application/json"));

        var home = await ToolAsync(Host, token, "notion_get_bot_user");
        var work = await ToolAsync(Host, token, "notion_get_bot_user", """{"account":"work"}""");

        Assert.Equal("Home WS", home.GetProperty("structuredContent").GetProperty("bot").GetProperty("workspace_name").GetString());
        Assert.Equal("Work WS", work.GetProperty("structuredContent").GetProperty("bot").GetProperty("workspace_name").GetString());
    }

    [Fact]
    public async Task ProviderRejectsStoredKey_MarksNeedsReauth_AndLaterCallsSaySo()
    {
        var (token, key) = await ConnectedUserAsync(Host, "Revoked");
        Host.Notion.RevokeToken(key);

        var first = await ToolAsync(Host, token, "notion_get_bot_user");
        Assert.True(IsError(first));
        Assert.Contains("401", Text(first), StringComparison.Ordinal);

        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        var json = JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("needs_reauth", json.GetProperty("status").GetString());

        var before = Host.Notion.RequestCount;
        var second = await ToolAsync(Host, token, "notion_get_bot_user");
        Assert.Contains("NEEDS_REAUTH", Text(second), StringComparison.Ordinal);
        Assert.Equal(before, Host.Notion.RequestCount);
    }

    [Fact]
    public async Task LastUsedAt_IsSetByACall_AndNotRewrittenWithinAMinute()
    {
        var (token, _) = await ConnectedUserAsync(Host, "Usage");
        var user = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject;
        var key = new McpFunctions.Core.Connections.ConnectionKey("acme", user, "notion", "default");

        await ToolAsync(Host, token, "notion_get_bot_user");
        var afterFirst = await Host.Services.GetStore().ReadAsync(key, CancellationToken.None);
        await ToolAsync(Host, token, "notion_get_bot_user");
        await ToolAsync(Host, token, "notion_get_bot_user");
        var afterThird = await Host.Services.GetStore().ReadAsync(key, CancellationToken.None);

        Assert.NotNull(afterFirst!.Connection.LastUsedAt);
        Assert.Equal(afterFirst.ETag, afterThird!.ETag);
    }
}
