using System.Text.Json;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

public sealed class ChildExpanderTests
{
    private const int Budget = 4 * 1024 * 1024;

    private static readonly Pagination Paging = new("query", "start_cursor", "next_cursor", "has_more", "results");

    private static readonly ProviderCall First = new("GET", "/v1/blocks/page/children?page_size=100");

    private readonly List<string> sent = [];

    /// <summary>Children lists by block id, as a provider would answer <c>/v1/blocks/{id}/children</c>.</summary>
    private readonly Dictionary<string, string> lists = new(StringComparer.Ordinal);

    [Fact]
    public async Task ExpandAsync_NestedBlocks_FetchedBreadthFirstIntoChildren_WithTheListingsQuery()
    {
        lists["a"] = Page(Block("a1", children: true), Block("a2"));
        lists["b"] = Page(Block("b1"));
        lists["a1"] = Page(Block("a1x"));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children"));

        var result = await ExpandAsync(tool, Page(Block("a", children: true), Block("plain"), Block("b", children: true)));

        // Both top-level lists before the deeper one: if a bound cuts the walk short, the shallow content is there.
        Assert.Equal(
            ["/v1/blocks/a/children?page_size=100", "/v1/blocks/b/children?page_size=100", "/v1/blocks/a1/children?page_size=100"],
            sent);
        Assert.Equal(["a", "plain", "b"], Ids(result.GetProperty("results")));
        var a = result.GetProperty("results")[0];
        Assert.Equal(["a1", "a2"], Ids(a.GetProperty("children")));
        Assert.Equal(["a1x"], Ids(a.GetProperty("children")[0].GetProperty("children")));
        Assert.False(result.GetProperty("results")[1].TryGetProperty("children", out _));
        Assert.Equal(["b1"], Ids(result.GetProperty("results")[2].GetProperty("children")));
        Assert.Equal("list", result.GetProperty("object").GetString());
    }

    [Fact]
    public async Task ExpandAsync_MaxDepth_StopsFetchingBelowIt()
    {
        lists["a"] = Page(Block("a1", children: true));
        lists["a1"] = Page(Block("a1x", children: true));
        lists["a1x"] = Page(Block("never"));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children", MaxDepth: 2));

        var result = await ExpandAsync(tool, Page(Block("a", children: true)));

        Assert.Equal(2, sent.Count);
        var deepest = result.GetProperty("results")[0].GetProperty("children")[0].GetProperty("children")[0];
        Assert.Equal("a1x", deepest.GetProperty("id").GetString());
        Assert.False(deepest.TryGetProperty("children", out _));
        Assert.True(deepest.GetProperty("has_children").GetBoolean());
    }

    [Fact]
    public async Task ExpandAsync_MaxRequests_LeavesTheRestUnexpanded()
    {
        lists["a"] = Page(Block("a1"));
        lists["b"] = Page(Block("b1"));
        lists["c"] = Page(Block("c1"));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children", MaxRequests: 2));

        var result = await ExpandAsync(tool, Page(Block("a", children: true), Block("b", children: true), Block("c", children: true)));

        Assert.Equal(2, sent.Count);
        Assert.True(result.GetProperty("results")[1].TryGetProperty("children", out _));
        Assert.False(result.GetProperty("results")[2].TryGetProperty("children", out _));
    }

    [Fact]
    public async Task ExpandAsync_SkippedTypesAndIdsThatAreNotOneSegment_AreNeverRequested()
    {
        lists["ok"] = Page(Block("ok1"));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children", SkipTypes: ["child_page"]));

        var result = await ExpandAsync(tool, Page(
            Block("sub", children: true, type: "child_page"),
            Block("../../admin", children: true),
            Block("https://evil.example/x", children: true),
            Block("ok", children: true)));

        Assert.Equal(["/v1/blocks/ok/children?page_size=100"], sent);
        Assert.Equal(["ok1"], Ids(result.GetProperty("results")[3].GetProperty("children")));
    }

    [Fact]
    public async Task ExpandAsync_AChildListFails_ThatBlockStaysAsSent_OthersExpand()
    {
        lists["b"] = Page(Block("b1"));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children"));

        var result = await ExpandAsync(tool, Page(Block("gone", children: true), Block("b", children: true)));

        Assert.Equal(2, sent.Count);
        Assert.False(result.GetProperty("results")[0].TryGetProperty("children", out _));
        Assert.Equal(["b1"], Ids(result.GetProperty("results")[1].GetProperty("children")));
    }

    [Fact]
    public async Task ExpandAsync_AnIdListedTwice_IsFetchedOnce()
    {
        lists["a"] = Page(Block("a", children: true));
        var tool = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children"));

        var result = await ExpandAsync(tool, Page(Block("a", children: true)));

        Assert.Single(sent);
        Assert.Equal(["a"], Ids(result.GetProperty("results")[0].GetProperty("children")));
    }

    [Fact]
    public async Task ExpandAsync_WithoutExpansionOrOnAFailedListing_ReturnsTheListingUnchanged()
    {
        var listing = new ProviderReply(200, Bytes(Page(Block("a", children: true))));
        var failed = new ProviderReply(404, Bytes("""{"object":"error"}"""));
        var plain = Tool(new ToolRequest("GET", "/v1/blocks/page/children", Paginate: Paging));
        var expanding = ToolWith(new ChildExpansion("has_children", "/v1/blocks/{id}/children"));

        Assert.Same(listing, await ChildExpander.ExpandAsync(plain, First, listing, SendAsync, Budget, CancellationToken.None));
        Assert.Same(failed, await ChildExpander.ExpandAsync(expanding, First, failed, SendAsync, Budget, CancellationToken.None));
        Assert.Empty(sent);
    }

    [Fact]
    public void Catalog_NotionReadPageContent_ExpandsNestedBlocks_ButNotSubPages()
    {
        var tool = CatalogSamples.All.ToolsByName["notion_read_page_content"].Tool;

        var expand = Assert.IsType<ChildExpansion>(tool.Request.ExpandChildren);
        Assert.Equal("/v1/blocks/{id}/children", expand.Path);
        Assert.Equal(["child_page", "child_database"], expand.SkipTypes);
    }

    private async Task<JsonElement> ExpandAsync(ToolDescriptor tool, string listing)
    {
        var reply = await ChildExpander.ExpandAsync(tool, First, new ProviderReply(200, Bytes(listing)), SendAsync, Budget, CancellationToken.None);
        Assert.Equal(200, reply.Status);
        return JsonOf(Text(reply.Body));
    }

    private Task<ProviderReply> SendAsync(ProviderCall call, CancellationToken ct)
    {
        sent.Add(call.PathAndQuery);
        var id = call.PathAndQuery.Split('/')[3];
        return Task.FromResult(lists.TryGetValue(id, out var page)
            ? new ProviderReply(200, Bytes(page))
            : new ProviderReply(404, Bytes("""{"object":"error","status":404,"code":"object_not_found"}""")));
    }

    private static ToolDescriptor ToolWith(ChildExpansion expansion) =>
        Tool(new ToolRequest("GET", "/v1/blocks/{page_id}/children", Paginate: Paging, ExpandChildren: expansion));

    private static string Page(params string[] blocks) =>
        $$"""{"object":"list","results":[{{string.Join(',', blocks)}}],"next_cursor":null,"has_more":false}""";

    private static string Block(string id, bool children = false, string type = "paragraph") =>
        $$"""{"object":"block","id":{{JsonSerializer.Serialize(id, McpFunctions.Http.Json.McpJsonContext.Default.String)}},"type":"{{type}}","has_children":{{(children ? "true" : "false")}}}""";

    private static List<string> Ids(JsonElement items) => [.. items.EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
}
