using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using McpFunctions.StandIns.Notion;

namespace McpFunctions.Tests.StandIns;

/// <summary>The Notion stand-in's public-integration OAuth: JSON + HTTP Basic token endpoint, rotating refresh tokens, revoke; its tokens work on the API.</summary>
public sealed class NotionOAuthStandInTests : IAsyncLifetime
{
    private const string ClientId = "1d2e3f40-5a6b-7c8d-9e0f-a1b2c3d4e5f6";
    private const string Secret = "secret_notion_public_integration";
    private static readonly Uri Callback = new("https://mcp.example/api/oauth/callback");

    private readonly OAuthDance dance = new();
    private NotionStandIn notion = null!;
    private string ada = null!;

    public async Task InitializeAsync()
    {
        notion = await NotionStandIn.StartAsync();
        notion.AddOAuthClient(ClientId, Secret, "Acme Assistant", Callback);
        ada = notion.AddOAuthUser("Ada's Workspace", "Ada Lovelace", "ada@example.com");
    }

    public async Task DisposeAsync()
    {
        dance.Dispose();
        await notion.DisposeAsync();
    }

    [Fact]
    public async Task CodeFlow_AnswersNotionsTokenResponse_WithoutExpiresIn()
    {
        var tokens = await ConnectAsync();

        Assert.StartsWith("ntn_", tokens.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        Assert.Equal("bearer", tokens.GetProperty("token_type").GetString());
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refresh_token").GetString()));
        Assert.Equal("Ada's Workspace", tokens.GetProperty("workspace_name").GetString());
        Assert.True(Guid.TryParse(tokens.GetProperty("workspace_id").GetString(), out _));
        Assert.True(Guid.TryParse(tokens.GetProperty("bot_id").GetString(), out _));
        Assert.Equal(JsonValueKind.Null, tokens.GetProperty("workspace_icon").ValueKind);
        Assert.Equal(JsonValueKind.Null, tokens.GetProperty("duplicated_template_id").ValueKind);
        Assert.Equal(("user", ada), (tokens.GetProperty("owner").GetProperty("type").GetString(), tokens.GetProperty("owner").GetProperty("user").GetProperty("id").GetString()));
        Assert.True(tokens.TryGetProperty("request_id", out _));
        Assert.False(tokens.TryGetProperty("expires_in", out _));
        Assert.Equal(1, notion.CodeGrants);
    }

    [Fact]
    public async Task OAuthToken_ActsAsTheBotInTheConsentingPersonsWorkspace()
    {
        var internalToken = notion.AddIntegration("Ada's Workspace");
        var page = notion.AddPage(internalToken, "Roadmap");
        var elsewhere = notion.AddPage(notion.AddIntegration("Someone else's workspace"), "Not yours");
        var tokens = await ConnectAsync();
        var access = tokens.GetProperty("access_token").GetString();

        using var me = await ApiAsync("v1/users/me", access);
        using var read = await ApiAsync($"v1/pages/{page}", access);
        using var foreign = await ApiAsync($"v1/pages/{elsewhere}", access);

        var bot = await OAuthDance.JsonAsync(me);
        Assert.Equal((tokens.GetProperty("bot_id").GetString(), "Acme Assistant", "bot"), (bot.GetProperty("id").GetString(), bot.GetProperty("name").GetString(), bot.GetProperty("type").GetString()));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task Token_RequiresBasicClientAuthAndAJsonBody()
    {
        var code = await CodeAsync();

        using var noBasic = await dance.PostJsonAsync(notion.OAuthTokenUrl, CodeJson(code));
        using var wrongSecret = await dance.PostJsonAsync(notion.OAuthTokenUrl, CodeJson(code), r => r.Headers.Authorization = OAuthDance.Basic(ClientId, "nope"));
        using var form = await dance.PostFormAsync(notion.OAuthTokenUrl, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Callback.AbsoluteUri)],
            r => r.Headers.Authorization = OAuthDance.Basic(ClientId, Secret));
        using var ok = await ExchangeAsync(code);

        Assert.Equal(HttpStatusCode.Unauthorized, noBasic.StatusCode);
        Assert.Equal("invalid_client", (await OAuthDance.JsonAsync(wrongSecret)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        Assert.Equal("invalid_request", (await OAuthDance.JsonAsync(form)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Token_CodeReusedOrRedirectMismatch_IsInvalidGrant400()
    {
        var code = await CodeAsync();
        var other = await CodeAsync();

        using var first = await ExchangeAsync(code);
        using var again = await ExchangeAsync(code);
        using var mismatch = await dance.PostJsonAsync(notion.OAuthTokenUrl,
            $$"""{"grant_type":"authorization_code","code":"{{other}}","redirect_uri":"https://mcp.example/elsewhere"}""", Basic);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertInvalidGrantAsync(again);
        await AssertInvalidGrantAsync(mismatch);
    }

    [Fact]
    public async Task Refresh_RotatesBothTokens_AndReuseIsCountedAsInvalidGrant()
    {
        var first = await ConnectAsync();
        var oldRefresh = first.GetProperty("refresh_token").GetString()!;

        using var refreshed = await RefreshAsync(oldRefresh);
        var second = await OAuthDance.JsonAsync(refreshed);
        using var reused = await RefreshAsync(oldRefresh);
        using var api = await ApiAsync("v1/users/me", second.GetProperty("access_token").GetString());

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.NotEqual(first.GetProperty("access_token").GetString(), second.GetProperty("access_token").GetString());
        Assert.NotEqual(oldRefresh, second.GetProperty("refresh_token").GetString());
        Assert.Equal(first.GetProperty("bot_id").GetString(), second.GetProperty("bot_id").GetString());
        await AssertInvalidGrantAsync(reused);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal((1, 1), (notion.RefreshGrants, notion.ReusedRefreshTokens));
    }

    [Fact]
    public async Task Revoke_EndsTheAuthorization()
    {
        var tokens = await ConnectAsync();
        var access = tokens.GetProperty("access_token").GetString()!;

        using var missing = await dance.PostJsonAsync(notion.OAuthRevokeUrl, "{}", Basic);
        using var revoked = await dance.PostJsonAsync(notion.OAuthRevokeUrl, $$"""{"token":"{{access}}"}""", Basic);
        using var api = await ApiAsync("v1/users/me", access);
        using var refresh = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.True((await OAuthDance.JsonAsync(revoked)).TryGetProperty("request_id", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("unauthorized", (await OAuthDance.JsonAsync(api)).GetProperty("code").GetString());
        await AssertInvalidGrantAsync(refresh);
        Assert.Equal(1, notion.Revocations);
    }

    [Fact]
    public async Task RevokeGrantAndExpireAll_AffectOnlyOAuthTokens()
    {
        var internalToken = notion.AddIntegration("Ada's Workspace");
        var tokens = await ConnectAsync();

        notion.ExpireAllAccessTokens();
        using var expired = await ApiAsync("v1/users/me", tokens.GetProperty("access_token").GetString());
        using var integration = await ApiAsync("v1/users/me", internalToken);
        using var refreshed = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        var next = await OAuthDance.JsonAsync(refreshed);
        notion.RevokeGrant(ada);
        using var afterRevoke = await RefreshAsync(next.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.OK, integration.StatusCode);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        await AssertInvalidGrantAsync(afterRevoke);
    }

    [Fact]
    public async Task Authorize_ChecksOwnerAndRedirect_AndHonoursDenial()
    {
        using var noOwner = await dance.AuthorizeAsync(notion.OAuthAuthorizeUrl, ("client_id", ClientId), ("response_type", "code"), ("redirect_uri", Callback.AbsoluteUri));
        using var badRedirect = await dance.AuthorizeAsync(notion.OAuthAuthorizeUrl, ("client_id", ClientId), ("response_type", "code"), ("owner", "user"), ("redirect_uri", "https://evil.example/"));
        using var implicitRedirect = await dance.AuthorizeAsync(notion.OAuthAuthorizeUrl, ("client_id", ClientId), ("response_type", "code"), ("owner", "user"), ("state", "s1"));
        notion.DenyConsent = true;
        using var denied = await dance.AuthorizeAsync(notion.OAuthAuthorizeUrl, AuthorizeParameters("s2"));

        Assert.Equal(HttpStatusCode.BadRequest, noOwner.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badRedirect.StatusCode);
        Assert.StartsWith(Callback.AbsoluteUri, implicitRedirect.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.NotNull(OAuthDance.Query(implicitRedirect.Headers.Location!, "code"));
        Assert.Equal(("access_denied", "s2"), (OAuthDance.Query(denied.Headers.Location!, "error"), OAuthDance.Query(denied.Headers.Location!, "state")));
    }

    [Fact]
    public async Task TokenFaults_AreSeparateFromApiFaults()
    {
        var tokens = await ConnectAsync();
        notion.FailNextTokenRequests(1, 429, TimeSpan.FromSeconds(2));
        notion.FailNext(1, 503);

        using var limited = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var refreshed = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var api = await ApiAsync("v1/users/me", (await OAuthDance.JsonAsync(refreshed)).GetProperty("access_token").GetString());

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("rate_limited", (await OAuthDance.JsonAsync(limited)).GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(2), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Equal(0, notion.ReusedRefreshTokens);
    }

    private static void Basic(HttpRequestMessage request) => request.Headers.Authorization = OAuthDance.Basic(ClientId, Secret);

    private static (string, string?)[] AuthorizeParameters(string state) =>
        [("client_id", ClientId), ("response_type", "code"), ("owner", "user"), ("redirect_uri", Callback.AbsoluteUri), ("state", state)];

    private static string CodeJson(string code) =>
        $$"""{"grant_type":"authorization_code","code":"{{code}}","redirect_uri":"{{Callback.AbsoluteUri}}"}""";

    private Task<string> CodeAsync() => dance.CodeAsync(notion.OAuthAuthorizeUrl, AuthorizeParameters("state-1"));

    private Task<HttpResponseMessage> ExchangeAsync(string code) => dance.PostJsonAsync(notion.OAuthTokenUrl, CodeJson(code), Basic);

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        dance.PostJsonAsync(notion.OAuthTokenUrl, $$"""{"grant_type":"refresh_token","refresh_token":"{{refreshToken}}"}""", Basic);

    private async Task<JsonElement> ConnectAsync()
    {
        using var response = await ExchangeAsync(await CodeAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthDance.JsonAsync(response);
    }

    private Task<HttpResponseMessage> ApiAsync(string relative, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(notion.BaseUrl, relative));
        request.Headers.Add("Notion-Version", NotionStandIn.ApiVersion);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return dance.Http.SendAsync(request);
    }

    private static async Task AssertInvalidGrantAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (await OAuthDance.JsonAsync(response)).GetProperty("error").GetString());
    }
}
