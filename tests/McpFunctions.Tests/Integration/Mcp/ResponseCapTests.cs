using System.Net;
using System.Net.Http.Headers;
using McpFunctions.StandIns.Notion;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>The provider's response cap (<c>Providers__{id}__MaxResponseBytes</c>): no response larger is read, and a
/// paginating tool stops fetching once the pages it holds reach it, so one call cannot pull MaxPages full responses
/// into memory.</summary>
public sealed class ResponseCapTests
{
    [Fact]
    public async Task GetBlockChildren_ResponseOverTheCap_IsAProviderError_AndTheHostGoesOn()
    {
        await using var notion = await NotionStandIn.StartAsync();
        var (key, page) = Handbook(notion, blocks: 50);
        await using var host = await StartWithCapAsync(notion, 2048);
        var token = await ConnectKeyAsync(host, key);

        var tooBig = await ToolAsync(host, token, "notion_get_block_children", $$"""{"block_id":"{{page}}","page_size":50}""");
        var small = await ToolAsync(host, token, "notion_get_block_children", $$"""{"block_id":"{{page}}","page_size":1}""");

        Assert.True(IsError(tooBig));
        Assert.Contains("PROVIDER_ERROR", Text(tooBig), StringComparison.Ordinal);
        Assert.Contains("more than 2048 bytes", Text(tooBig), StringComparison.Ordinal);
        Assert.False(IsError(small), Text(small));
        Assert.Single(small.GetProperty("structuredContent").GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task ReadPageContent_PagesReachTheResponseCap_StopsFetching_AndSaysThereIsMore()
    {
        await using var notion = await NotionStandIn.StartAsync();
        var (key, page) = Handbook(notion, blocks: 250);
        // Blocks of one shape: a page of 100 is the unit. A cap of 1.5 pages admits each page but stops after two.
        await using var host = await StartWithCapAsync(notion, await FirstPageBytesAsync(notion, key, page) * 3 / 2);
        var token = await ConnectKeyAsync(host, key);
        notion.ClearRequests();

        var result = await ToolAsync(host, token, "notion_read_page_content", $$"""{"page_id":"{{page}}"}""");

        Assert.False(IsError(result), Text(result));
        Assert.Equal(2, notion.Requests.Count(r => r.PathAndQuery.Contains("/children?", StringComparison.Ordinal)));
        var listing = result.GetProperty("structuredContent");
        Assert.Equal(200, listing.GetProperty("results").GetArrayLength());
        Assert.True(listing.GetProperty("has_more").GetBoolean());
        Assert.False(string.IsNullOrEmpty(listing.GetProperty("next_cursor").GetString()));
    }

    /// <summary>A new integration with one page of <paramref name="blocks"/> paragraphs of the same shape.</summary>
    private static (string Key, string Page) Handbook(NotionStandIn notion, int blocks)
    {
        var key = notion.AddIntegration("Handbooks");
        var page = notion.AddPage(key, "Handbook");
        notion.AddBlocks(key, page, Enumerable.Range(1, blocks).Select(i => $"paragraph {i:D3} of the handbook"));
        return (key, page);
    }

    private static Task<TestHost> StartWithCapAsync(NotionStandIn notion, int maxResponseBytes) =>
        TestHost.StartAsync(s => s["Providers:notion:MaxResponseBytes"] = maxResponseBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), notion);

    private static async Task<int> FirstPageBytesAsync(NotionStandIn notion, string key, string page)
    {
        using var http = new HttpClient { BaseAddress = notion.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/blocks/{page}/children?page_size=100");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("Notion-Version", NotionStandIn.ApiVersion);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }
}
