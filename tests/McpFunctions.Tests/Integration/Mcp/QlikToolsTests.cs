using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>The Qlik Cloud tools through <c>tools/call</c>, against the Qlik stand-in, with an OAuth connection seeded in the store.</summary>
[Collection(OAuthStandInsCollection.Name)]
public sealed class QlikToolsTests(OAuthStandInsFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task NotConnected_WithoutAnOAuthClientHere_SaysHowToConnect()
    {
        // This host has no Qlik OAuth client, so no connect URL can be minted (-32042 is covered with a client in Integration/OAuth).
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        var result = await ResultAsync(Host, token, "tools/call", """{"name":"qlik_get_apps","arguments":{}}""");
        Assert.True(result.GetProperty("isError").GetBoolean());
        var text = result.GetProperty("content")[0].GetProperty("text").GetString();
        Assert.StartsWith("NOT_CONNECTED: Qlik Cloud not connected", text, StringComparison.Ordinal);
        Assert.Contains("/api/mcp/qlik/authorize", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolsList_ConnectedUser_SeesTheFiveQlikTools()
    {
        var (token, _, _) = await ConnectedAsync("Lister");

        var tools = (await ResultAsync(Host, token, "tools/list")).GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()).ToList();

        Assert.Equal(["qlik_get_app", "qlik_get_apps", "qlik_get_current_user", "qlik_get_space", "qlik_list_spaces"], tools.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetApps_FollowsQliksCursorAcrossPages_WithTheUsersToken()
    {
        var (token, qlikUser, access) = await ConnectedAsync("Pager");
        for (var i = 1; i <= 25; i++)
        {
            fixture.Qlik.AddApp($"Pager app {i:00}", qlikUser);
        }

        fixture.Qlik.ClearRequests();
        var result = await ToolAsync(Host, token, "qlik_get_apps", """{"limit":10}""");

        Assert.False(IsError(result), Text(result));
        var structured = result.GetProperty("structuredContent");
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"Pager app {i:00}"), structured.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, structured.GetProperty("next").ValueKind);
        var calls = fixture.Qlik.Requests.Where(r => r.Path == "/api/v1/items").ToList();
        Assert.Equal(3, calls.Count);
        Assert.All(calls, r => Assert.Equal($"Bearer {access}", r.Header("Authorization")));
        Assert.All(calls, r => Assert.Contains("resourceType=app", r.PathAndQuery, StringComparison.Ordinal));
        Assert.Contains("next=", calls[2].PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetApps_LongerThanTenPages_ReturnsACursorThatContinues()
    {
        var (token, qlikUser, _) = await ConnectedAsync("Long");
        for (var i = 1; i <= 12; i++)
        {
            fixture.Qlik.AddApp($"Long app {i:00}", qlikUser);
        }

        var first = (await ToolAsync(Host, token, "qlik_get_apps", """{"limit":1}""")).GetProperty("structuredContent");
        var next = first.GetProperty("next").GetString()!;
        var rest = (await ToolAsync(Host, token, "qlik_get_apps", $$"""{"limit":1,"next":"{{next}}"}"""))
            .GetProperty("structuredContent");

        Assert.Equal(10, first.GetProperty("data").GetArrayLength());
        Assert.Equal(["Long app 11", "Long app 12"], rest.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task GetApps_NameFilter_AndGetApp_AndSpaces()
    {
        var (token, qlikUser, _) = await ConnectedAsync("Filter");
        var space = fixture.Qlik.AddSpace("Filter Finance", qlikUser);
        var sales = fixture.Qlik.AddApp("Filter Sales 2026", qlikUser, space, "Revenue by region");
        fixture.Qlik.AddApp("Filter HR", qlikUser);

        var apps = (await ToolAsync(Host, token, "qlik_get_apps", """{"name":"sales"}""")).GetProperty("structuredContent").GetProperty("data");
        var app = await ToolAsync(Host, token, "qlik_get_app", $$"""{"appId":"{{sales}}"}""");
        var spaces = (await ToolAsync(Host, token, "qlik_list_spaces", """{"type":"shared"}""")).GetProperty("structuredContent").GetProperty("data");
        var one = await ToolAsync(Host, token, "qlik_get_space", $$"""{"spaceId":"{{space}}"}""");

        Assert.Equal(sales, apps.EnumerateArray().Single().GetProperty("resourceId").GetString());
        Assert.Equal("Revenue by region", app.GetProperty("structuredContent").GetProperty("attributes").GetProperty("description").GetString());
        Assert.Equal(["Filter Finance"], spaces.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(space, one.GetProperty("structuredContent").GetProperty("id").GetString());
    }

    [Fact]
    public async Task GetCurrentUser_ShowsWhoTheConnectionActsAs()
    {
        var (token, qlikUser, _) = await ConnectedAsync("Whoami");

        var me = (await ToolAsync(Host, token, "qlik_get_current_user")).GetProperty("structuredContent");

        Assert.Equal((qlikUser, fixture.Qlik.TenantId), (me.GetProperty("id").GetString(), me.GetProperty("tenantId").GetString()));
    }

    [Fact]
    public async Task Isolation_EachUserCallsWithTheirOwnToken_AndCannotReadTheOthersApp()
    {
        var (alice, aliceUser, _) = await ConnectedAsync("Alice");
        var (bob, _, bobAccess) = await ConnectedAsync("Bob");
        var aliceApp = fixture.Qlik.AddApp("Alice's private app", aliceUser);
        fixture.Qlik.ClearRequests();

        var result = await ToolAsync(Host, bob, "qlik_get_app", $$"""{"appId":"{{aliceApp}}","account":"default"}""");
        var list = (await ToolAsync(Host, bob, "qlik_get_apps", """{"name":"Alice"}""")).GetProperty("structuredContent").GetProperty("data");

        Assert.True(IsError(result));
        Assert.Contains("403", Text(result), StringComparison.Ordinal);
        Assert.Equal(0, list.GetArrayLength());
        Assert.All(fixture.Qlik.Requests, r => Assert.Equal($"Bearer {bobAccess}", r.Header("Authorization")));
        Assert.False(IsError(await ToolAsync(Host, alice, "qlik_get_app", $$"""{"appId":"{{aliceApp}}"}""")));
    }

    [Fact]
    public async Task RateLimited_WithShortRetryAfter_IsRetriedAndSucceeds()
    {
        var (token, _, _) = await ConnectedAsync("Limited");
        fixture.Qlik.FailNextApiRequests(1, 429, TimeSpan.FromSeconds(1));

        var result = await ToolAsync(Host, token, "qlik_get_current_user");

        Assert.False(IsError(result), Text(result));
    }

    [Fact]
    public async Task BadAppId_IsAValidationError_AndNothingIsSent()
    {
        var (token, _, _) = await ConnectedAsync("Strict");
        var before = fixture.Qlik.RequestCount;

        var result = await ToolAsync(Host, token, "qlik_get_app", """{"appId":"../users/me"}""");

        Assert.True(IsError(result));
        Assert.Contains("VALIDATION_ERROR", Text(result), StringComparison.Ordinal);
        Assert.Equal(before, fixture.Qlik.RequestCount);
    }

    /// <summary>A fresh Qlik user who connected by OAuth: the caller's bearer token, the Qlik user id, and the stored access token.</summary>
    private async Task<(string Token, string QlikUser, string Access)> ConnectedAsync(string name)
    {
        var qlikUser = fixture.Qlik.AddUser($"{name} {Guid.NewGuid():N}", $"{name.ToLowerInvariant()}@example.com");
        var tokens = await fixture.QlikTokensAsync(qlikUser);
        var token = await fixture.SeedConnectionAsync("qlik", tokens, new Dictionary<string, string> { ["tenant_id"] = fixture.Qlik.TenantId, ["user_id"] = qlikUser });
        return (token, qlikUser, tokens.GetProperty("access_token").GetString()!);
    }
}
