using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

public sealed class PaginatorTests
{
    private static readonly Pagination QueryCursor = new("query", "start_cursor", "next_cursor", "has_more", "results");

    private static readonly Pagination BodyCursor = new("body", "start_cursor", "next_cursor", "has_more", "results");

    /// <summary>Qlik Cloud's shape: <c>{"data": [...], "links": {"next": {"href": "...?next=cursor"}}}</c>.</summary>
    private static readonly Pagination QlikLinks = new("query", "next", "links.next.href", null, "data", 20, "next");

    /// <summary>The provider's default response cap: far above these small pages.</summary>
    private const int Budget = 4 * 1024 * 1024;

    private readonly List<ProviderCall> sent = [];

    [Fact]
    public async Task CollectAsync_WithoutPaginate_SendsOnceAndReturnsTheReply()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/pages/p"));
        var reply = new ProviderReply(200, Bytes("""{"has_more":true,"next_cursor":"c1","results":[]}"""));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/pages/p"), (call, _) => Send(call, reply), Budget, CancellationToken.None);

        Assert.Same(reply, result);
        Assert.Single(sent);
    }

    [Fact]
    public async Task CollectAsync_CursorInQuery_FollowsThreePagesAndJoinsTheItems()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/blocks/b/children", Paginate: QueryCursor));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/blocks/b/children?page_size=100"), ThreePagesByQuery, Budget, CancellationToken.None);

        Assert.Equal(
            ["/v1/blocks/b/children?page_size=100", "/v1/blocks/b/children?page_size=100&start_cursor=c1", "/v1/blocks/b/children?page_size=100&start_cursor=c%2F2"],
            sent.Select(c => c.PathAndQuery));
        Assert.Equal(200, result.Status);
        Assert.Equal("""{"object":"list","results":[1,2,3,4,5],"has_more":false,"next_cursor":null}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_CursorInQueryWithoutOtherParameters_AddsIt()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/users", Paginate: QueryCursor));

        await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/users"), ThreePagesByQuery, Budget, CancellationToken.None);

        Assert.Equal(["/v1/users", "/v1/users?start_cursor=c1", "/v1/users?start_cursor=c%2F2"], sent.Select(c => c.PathAndQuery));
    }

    [Fact]
    public async Task CollectAsync_CursorInBody_FollowsThreePagesSettingTheProperty()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/databases/d/query", Paginate: BodyCursor));
        var first = new ProviderCall("POST", "/v1/databases/d/query", Bytes("""{"filter":{"property":"Done","checkbox":{"equals":true}},"page_size":100}"""));

        var result = await Paginator.CollectAsync(tool, first, (call, _) =>
        {
            var cursor = call.JsonBody.IsEmpty ? null : JsonDocument.Parse(call.JsonBody).RootElement.TryGetProperty("start_cursor", out var c) ? c.GetString() : null;
            return Send(call, cursor switch
            {
                null => Page("""["a"]""", "c1"),
                "c1" => Page("""["b"]""", "c2"),
                _ => Page("""["c"]""", null),
            });
        }, Budget, CancellationToken.None);

        Assert.Equal(3, sent.Count);
        Assert.Equal("""{"filter":{"property":"Done","checkbox":{"equals":true}},"page_size":100,"start_cursor":"c1"}""", Text(sent[1].JsonBody));
        Assert.Equal("""{"filter":{"property":"Done","checkbox":{"equals":true}},"page_size":100,"start_cursor":"c2"}""", Text(sent[2].JsonBody));
        Assert.All(sent, c => Assert.Equal("/v1/databases/d/query", c.PathAndQuery));
        Assert.Equal("""{"object":"list","results":["a","b","c"],"has_more":false,"next_cursor":null}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_CursorInBodyWithNoBody_StartsAnObject()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/search", Paginate: BodyCursor));

        await Paginator.CollectAsync(tool, new ProviderCall("POST", "/v1/search"), (call, _) => Send(call, sent.Count == 0 ? Page("[1]", "c1") : Page("[2]", null)), Budget, CancellationToken.None);

        Assert.Equal("""{"start_cursor":"c1"}""", Text(sent[1].JsonBody));
    }

    [Fact]
    public async Task CollectAsync_EndlessList_StopsAtMaxPagesAndReportsTheCursor()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor with { MaxPages = 2 }));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, Page($"[{sent.Count}]", $"c{sent.Count + 1}")), Budget, CancellationToken.None);

        Assert.Equal(2, sent.Count);
        Assert.Equal("""{"object":"list","results":[0,1],"has_more":true,"next_cursor":"c2"}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_PagesReachTheByteBudget_StopsThereAndReportsTheCursor()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));
        var pageBytes = Page("[0]", "c1").Body.Length;

        // Two pages fill the budget exactly: the third is never fetched, though the provider has more.
        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, Page($"[{sent.Count}]", $"c{sent.Count + 1}")), 2 * pageBytes, CancellationToken.None);

        Assert.Equal(2, sent.Count);
        Assert.Equal("""{"object":"list","results":[0,1],"has_more":true,"next_cursor":"c2"}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_LastPageWithinTheBudget_IsNotCutShort()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/blocks/b/children", Paginate: QueryCursor));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/blocks/b/children"), ThreePagesByQuery, 1, CancellationToken.None);

        // A budget of one byte still returns the first page whole, with the cursor to go on from.
        Assert.Single(sent);
        Assert.Contains("\"has_more\":true", Text(result.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CollectAsync_ErrorOnALaterPage_ReturnsThatReplyAsIs()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));
        var limited = new ProviderReply(429, Bytes("""{"object":"error","code":"rate_limited"}""")) { RetryAfter = TimeSpan.FromSeconds(2) };

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, sent.Count == 0 ? Page("[1]", "c1") : limited), Budget, CancellationToken.None);

        Assert.Same(limited, result);
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public async Task CollectAsync_ErrorOnTheFirstPage_ReturnsThatReplyAsIs()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));
        var notFound = new ProviderReply(404, Bytes("""{"object":"error","code":"object_not_found"}"""));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, notFound), Budget, CancellationToken.None);

        Assert.Same(notFound, result);
    }

    [Fact]
    public async Task CollectAsync_NoHasMoreField_FollowsTheCursorUntilItIsNull()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: new Pagination("query", "cursor", "next", null, "items")));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, sent.Count switch
        {
            0 => Reply("""{"items":[1],"next":"n1"}"""),
            1 => Reply("""{"items":[2],"next":"n2"}"""),
            _ => Reply("""{"items":[3],"next":null}"""),
        }), Budget, CancellationToken.None);

        Assert.Equal(["/v1/x", "/v1/x?cursor=n1", "/v1/x?cursor=n2"], sent.Select(c => c.PathAndQuery));
        Assert.Equal("""{"object":"list","items":[1,2,3],"next":null}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_HasMoreFalseWithACursor_Stops()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));

        await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, Reply("""{"results":[1],"has_more":false,"next_cursor":"c1"}""")), Budget, CancellationToken.None);

        Assert.Single(sent);
    }

    [Fact]
    public async Task CollectAsync_FirstPageNotAList_ReturnsItAsIs()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));
        var odd = Reply("""{"object":"page"}""");

        Assert.Same(odd, await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, odd), Budget, CancellationToken.None));
    }

    [Fact]
    public async Task CollectAsync_LaterPageNotAList_IsAProviderError()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(() => Paginator.CollectAsync(
            tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, sent.Count == 0 ? Page("[1]", "c1") : Reply("not json")), Budget, CancellationToken.None));

        Assert.Equal(ErrorCode.ProviderError, ex.Code);
    }

    [Fact]
    public async Task CollectAsync_Cancelled_StopsBetweenPages()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: QueryCursor));
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) =>
        {
            cts.Cancel();
            return Send(call, Page("[1]", "c1"));
        }, Budget, cts.Token));

        Assert.Single(sent);
    }

    [Fact]
    public async Task CollectAsync_CursorInsideANextUrl_SendsOnlyItsQueryParameterToOurOwnPath()
    {
        var tool = Tool(new ToolRequest("GET", "/api/v1/items", Paginate: QlikLinks));
        var first = new ProviderCall("GET", "/api/v1/items?resourceType=app&limit=2");

        var result = await Paginator.CollectAsync(tool, first, (call, _) => Send(call, sent.Count switch
        {
            0 => QlikPage("""[{"id":"a"},{"id":"b"}]""", "https://evil.example/api/v1/items?limit=2&next=c%2B1%3D&resourceType=app"),
            1 => QlikPage("""[{"id":"c"}]""", "/api/v1/items?next=c2"),
            _ => QlikPage("""[{"id":"d"}]""", null),
        }), Budget, CancellationToken.None);

        Assert.Equal(
            ["/api/v1/items?resourceType=app&limit=2", "/api/v1/items?resourceType=app&limit=2&next=c%2B1%3D", "/api/v1/items?resourceType=app&limit=2&next=c2"],
            sent.Select(c => c.PathAndQuery));
        Assert.Equal("""{"object":"list","data":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}],"next":null}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_CursorInsideANextUrl_AtMaxPagesReportsTheCursorUnderTheParameterName()
    {
        var tool = Tool(new ToolRequest("GET", "/api/v1/items", Paginate: QlikLinks with { MaxPages = 2 }));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/api/v1/items"), (call, _) =>
            Send(call, QlikPage($"[{sent.Count}]", $"https://tenant.example/api/v1/items?next=n{sent.Count + 1}")), Budget, CancellationToken.None);

        Assert.Equal(2, sent.Count);
        Assert.Equal("""{"object":"list","data":[0,1],"next":"n2"}""", Text(result.Body));
    }

    [Theory]
    [InlineData("""{"data":[1],"links":{"self":{"href":"/x"}}}""")]
    [InlineData("""{"data":[1],"links":{"next":{"href":"https://tenant.example/api/v1/items?limit=5"}}}""")]
    [InlineData("""{"data":[1],"links":{"next":{"href":"https://tenant.example/api/v1/items"}}}""")]
    [InlineData("""{"data":[1],"links":{"next":null}}""")]
    [InlineData("""{"data":[1],"links":"none"}""")]
    public async Task CollectAsync_NoNextUrlOrNoCursorInIt_StopsAfterOnePage(string page)
    {
        var tool = Tool(new ToolRequest("GET", "/api/v1/items", Paginate: QlikLinks));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/api/v1/items"), (call, _) => Send(call, Reply(page)), Budget, CancellationToken.None);

        Assert.Single(sent);
        Assert.Equal("""{"object":"list","data":[1],"next":null}""", Text(result.Body));
    }

    [Fact]
    public async Task CollectAsync_DottedCursorPathWithoutUrl_ReadsTheNestedValue()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", Paginate: new Pagination("query", "page_token", "meta.next", null, "items")));

        var result = await Paginator.CollectAsync(tool, new ProviderCall("GET", "/v1/x"), (call, _) => Send(call, sent.Count == 0
            ? Reply("""{"items":[1],"meta":{"next":"t1"}}""")
            : Reply("""{"items":[2],"meta":{}}""")), Budget, CancellationToken.None);

        Assert.Equal(["/v1/x", "/v1/x?page_token=t1"], sent.Select(c => c.PathAndQuery));
        Assert.Equal("""{"object":"list","items":[1,2],"page_token":null}""", Text(result.Body));
    }

    [Theory]
    [InlineData("https://t.example/api?a=1&next=abc", "abc")]
    [InlineData("/api?next=a%20b%2Fc&x=2", "a b/c")]
    [InlineData("https://t.example/api?next=abc#frag", "abc")]
    [InlineData("https://t.example/api?next=", "")]
    [InlineData("https://t.example/api?nextx=1", null)]
    [InlineData("https://t.example/api", null)]
    [InlineData(null, null)]
    public void QueryParameter_FindsOnlyTheNamedParameter(string? url, string? expected)
    {
        Assert.Equal(expected, Paginator.QueryParameter(url, "next"));
    }

    private static ProviderReply QlikPage(string items, string? nextHref)
    {
        var next = nextHref is null ? "" : $",\"next\":{{\"href\":\"{nextHref}\"}}";
        return Reply("{\"data\":" + items + ",\"links\":{\"self\":{\"href\":\"https://tenant.example/api/v1/items\"}" + next + "}}");
    }

    private Task<ProviderReply> ThreePagesByQuery(ProviderCall call, CancellationToken ct) => Send(call, sent.Count switch
    {
        0 => Page("[1,2]", "c1"),
        1 => Page("[3]", "c/2"),
        _ => Page("[4,5]", null),
    });

    private Task<ProviderReply> Send(ProviderCall call, ProviderReply reply)
    {
        sent.Add(call);
        return Task.FromResult(reply);
    }

    private static ProviderReply Page(string items, string? next) =>
        Reply($$"""{"object":"list","results":{{items}},"next_cursor":{{(next is null ? "null" : $"\"{next}\"")}},"has_more":{{(next is null ? "false" : "true")}},"type":"block"}""");

    private static ProviderReply Reply(string json) => new(200, Bytes(json));
}
