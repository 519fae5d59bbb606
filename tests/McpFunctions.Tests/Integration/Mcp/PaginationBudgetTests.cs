using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpFunctions.StandIns.Notion;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>A paginating tool stops fetching once the pages it holds reach the provider's response cap, so one call
/// cannot pull MaxPages full responses into memory; the result says there is more.</summary>
public sealed class PaginationBudgetTests
{
    [Fact]
    public async Task ReadPageContent_PagesReachTheResponseCap_StopsFetching_AndSaysThereIsMore()
    {
        await using var notion = await NotionStandIn.StartAsync();
        var key = notion.AddIntegration("Long reads");
        var page = notion.AddPage(key, "Handbook");
        notion.AddBlocks(key, page, Enumerable.Range(1, 250).Select(i => $"paragraph {i:D3} of the handbook"));
        // Blocks of one shape: a page of 100 is the unit. A cap of 1.5 pages admits each page but stops after two.
        var cap = await FirstPageBytesAsync(notion, key, page) * 3 / 2;
        await using var host = await TestHost.StartAsync(s => s["Providers:notion:MaxResponseBytes"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture), notion);
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        using (var connect = await host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, new StringContent($$"""{"api_key":"{{key}}"}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        }

        notion.ClearRequests();

        var result = await ToolAsync(host, token, "notion_read_page_content", $$"""{"page_id":"{{page}}"}""");

        Assert.False(IsError(result), Text(result));
        Assert.Equal(2, notion.Requests.Count(r => r.PathAndQuery.Contains("/children?", StringComparison.Ordinal)));
        var listing = result.GetProperty("structuredContent");
        Assert.Equal(200, listing.GetProperty("results").GetArrayLength());
        Assert.True(listing.GetProperty("has_more").GetBoolean());
        Assert.False(string.IsNullOrEmpty(listing.GetProperty("next_cursor").GetString()));
    }

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
