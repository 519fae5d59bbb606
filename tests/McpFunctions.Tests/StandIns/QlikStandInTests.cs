using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using McpFunctions.StandIns.Qlik;

namespace McpFunctions.Tests.StandIns;

/// <summary>The Qlik Cloud stand-in behaves as Qlik documents: OAuth with PKCE, rotating refresh tokens, Qlik's error body, cursor paging.</summary>
public sealed class QlikStandInTests : IAsyncLifetime
{
    private const string ClientId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private const string Secret = "qlik-client-secret";
    private static readonly Uri Callback = new("https://mcp.example/api/oauth/callback");

    private readonly ManualClock clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly OAuthDance dance = new();
    private QlikStandIn qlik = null!;
    private string ada = null!;

    public async Task InitializeAsync()
    {
        qlik = await QlikStandIn.StartAsync(clock);
        qlik.AddClient(ClientId, Secret, Callback);
        ada = qlik.AddUser("Ada Lovelace", "ada@example.com");
    }

    public async Task DisposeAsync()
    {
        dance.Dispose();
        await qlik.DisposeAsync();
    }

    [Fact]
    public async Task CodeFlowWithPkce_GrantsASixHourTokenAndARefreshToken_ThatWorkOnTheApi()
    {
        var tokens = await ConnectAsync();

        Assert.Equal("bearer", tokens.GetProperty("token_type").GetString());
        Assert.Equal(21600, tokens.GetProperty("expires_in").GetInt64());
        Assert.Equal("2026-03-01T15:00:00.000Z", tokens.GetProperty("expires_at").GetString());
        Assert.Equal("user_default offline_access", tokens.GetProperty("scope").GetString());
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refresh_token").GetString()));
        Assert.Equal(1, qlik.CodeGrants);

        using var me = await ApiAsync("api/v1/users/me", tokens.GetProperty("access_token").GetString());
        var user = await OAuthDance.JsonAsync(me);
        Assert.Equal((ada, "Ada Lovelace", qlik.TenantId), (user.GetProperty("id").GetString(), user.GetProperty("name").GetString(), user.GetProperty("tenantId").GetString()));
    }

    [Fact]
    public async Task Authorize_WithoutOfflineAccess_GrantsNoRefreshToken()
    {
        var tokens = await ConnectAsync(scope: "user_default");

        Assert.False(tokens.TryGetProperty("refresh_token", out _));
        Assert.Equal("user_default", tokens.GetProperty("scope").GetString());
    }

    [Theory]
    [InlineData("unknown-client", "https://mcp.example/api/oauth/callback")]
    [InlineData(ClientId, "https://evil.example/api/oauth/callback")]
    [InlineData(ClientId, "https://mcp.example/api/oauth/callback/")]
    public async Task Authorize_UnknownClientOrUnregisteredRedirect_Answers400WithoutRedirecting(string clientId, string redirect)
    {
        var (_, challenge) = OAuthDance.NewPkce();

        using var response = await dance.AuthorizeAsync(qlik.AuthorizeUrl, ("client_id", clientId), ("redirect_uri", redirect), ("response_type", "code"),
            ("scope", "user_default"), ("state", "s1"), ("code_challenge", challenge), ("code_challenge_method", "S256"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var error = (await OAuthDance.JsonAsync(response)).GetProperty("errors")[0];
        Assert.Equal("400", error.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Authorize_WithoutPkce_RedirectsWithInvalidRequest()
    {
        using var response = await dance.AuthorizeAsync(qlik.AuthorizeUrl, ("client_id", ClientId), ("redirect_uri", Callback.AbsoluteUri),
            ("response_type", "code"), ("scope", "user_default"), ("state", "s2"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("invalid_request", OAuthDance.Query(response.Headers.Location!, "error"));
        Assert.Equal("s2", OAuthDance.Query(response.Headers.Location!, "state"));
    }

    [Fact]
    public async Task Authorize_UserDenies_RedirectsWithAccessDeniedAndTheState()
    {
        qlik.DenyConsent = true;
        var (_, challenge) = OAuthDance.NewPkce();

        using var response = await dance.AuthorizeAsync(qlik.AuthorizeUrl, AuthorizeParameters(challenge, "user_default offline_access", "s3"));

        var location = response.Headers.Location!;
        Assert.StartsWith(Callback.AbsoluteUri, location.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(("access_denied", "s3", null), (OAuthDance.Query(location, "error"), OAuthDance.Query(location, "state"), OAuthDance.Query(location, "code")));
    }

    [Fact]
    public async Task Token_WrongVerifier_Is401Oauth5_AndTheCodeStillWorksOnceWithTheRightOne()
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(qlik.AuthorizeUrl, AuthorizeParameters(challenge, "user_default offline_access", "s4"));

        using var wrong = await ExchangeAsync(code, OAuthDance.NewPkce().Verifier);
        using var right = await ExchangeAsync(code, verifier);
        using var replay = await ExchangeAsync(code, verifier);

        await AssertOauth5Async(wrong);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        await AssertOauth5Async(replay);
        Assert.Equal(1, qlik.CodeGrants);
    }

    [Fact]
    public async Task Token_WrongClientSecret_Is401()
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(qlik.AuthorizeUrl, AuthorizeParameters(challenge, "user_default", "s5"));

        using var response = await dance.PostFormAsync(qlik.TokenUrl,
            [("grant_type", "authorization_code"), ("client_id", ClientId), ("client_secret", "nope"), ("code", code), ("redirect_uri", Callback.AbsoluteUri), ("code_verifier", verifier)]);

        await AssertOauth5Async(response);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    [InlineData("has spaces has spaces has spaces has spaces has spaces")]
    public async Task Token_MissingOrMalformedCodeVerifier_Is400(string? verifier)
    {
        var form = new List<(string, string)> { ("grant_type", "authorization_code"), ("client_id", ClientId), ("client_secret", Secret), ("code", "x"), ("redirect_uri", Callback.AbsoluteUri) };
        if (verifier is not null)
        {
            form.Add(("code_verifier", verifier));
        }

        using var response = await dance.PostFormAsync(qlik.TokenUrl, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("code_verifier", (await OAuthDance.JsonAsync(response)).GetProperty("errors")[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_RotatesTheRefreshToken_AndUsingTheOldOneAgainIsCountedAsReuse()
    {
        var first = await ConnectAsync();
        var oldRefresh = first.GetProperty("refresh_token").GetString()!;

        using var refreshed = await RefreshAsync(oldRefresh);
        var second = await OAuthDance.JsonAsync(refreshed);
        using var reused = await RefreshAsync(oldRefresh);
        using var next = await RefreshAsync(second.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.NotEqual(oldRefresh, second.GetProperty("refresh_token").GetString());
        await AssertOauth5Async(reused);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal((2, 1), (qlik.RefreshGrants, qlik.ReusedRefreshTokens));
    }

    [Fact]
    public async Task Refresh_TwoAtOnceWithTheSameToken_OneWinsAndTheOtherCountsAsReuse()
    {
        var refreshToken = (await ConnectAsync()).GetProperty("refresh_token").GetString()!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => RefreshAsync(refreshToken)));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized], responses.Select(r => r.StatusCode).Order());
        Assert.Equal((1, 1), (qlik.RefreshGrants, qlik.ReusedRefreshTokens));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Refresh_AsJsonWithBasicClientAuth_IsAlsoAccepted()
    {
        var tokens = await ConnectAsync();

        using var response = await dance.PostJsonAsync(qlik.TokenUrl,
            $$"""{"grant_type":"refresh_token","refresh_token":"{{tokens.GetProperty("refresh_token").GetString()}}"}""",
            r => r.Headers.Authorization = OAuthDance.Basic(ClientId, Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AccessToken_ExpiresAfterSixHours_AndARefreshedOneWorks()
    {
        var tokens = await ConnectAsync();
        var access = tokens.GetProperty("access_token").GetString();
        clock.Advance(TimeSpan.FromHours(6));

        using var expired = await ApiAsync("api/v1/users/me", access);
        using var refreshed = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var fresh = await ApiAsync("api/v1/users/me", (await OAuthDance.JsonAsync(refreshed)).GetProperty("access_token").GetString());

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("401", (await OAuthDance.JsonAsync(expired)).GetProperty("errors")[0].GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task ExpireAllAccessTokens_EndsAccessButNotRefresh()
    {
        var tokens = await ConnectAsync();

        qlik.ExpireAllAccessTokens();
        using var api = await ApiAsync("api/v1/users/me", tokens.GetProperty("access_token").GetString());
        using var refreshed = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task RevokeGrant_ForTheUser_KillsRefreshAndAccess()
    {
        var tokens = await ConnectAsync();

        Assert.Equal(1, qlik.RevokeGrant(ada));
        using var refresh = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var api = await ApiAsync("api/v1/users/me", tokens.GetProperty("access_token").GetString());

        await AssertOauth5Async(refresh);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(0, qlik.ReusedRefreshTokens);
    }

    [Fact]
    public async Task RevokeEndpoint_RefreshToken_EndsTheWholeGrant()
    {
        var tokens = await ConnectAsync();

        using var revoke = await dance.PostFormAsync(qlik.RevocationUrl,
            [("token", tokens.GetProperty("refresh_token").GetString()!), ("token_type_hint", "refresh_token"), ("client_id", ClientId), ("client_secret", Secret)]);
        using var api = await ApiAsync("api/v1/users/me", tokens.GetProperty("access_token").GetString());
        using var refresh = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(1, qlik.Revocations);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        await AssertOauth5Async(refresh);
    }

    [Fact]
    public async Task RevokeEndpoint_AccessToken_EndsOnlyThatToken_AndUnknownTokensAreNotAnError()
    {
        var tokens = await ConnectAsync();

        using var revoke = await dance.PostJsonAsync(qlik.RevocationUrl, $$"""{"token":"{{tokens.GetProperty("access_token").GetString()}}","token_type_hint":"access_token"}""");
        using var unknown = await dance.PostJsonAsync(qlik.RevocationUrl, """{"token":"never-issued"}""");
        using var refresh = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (revoke.StatusCode, unknown.StatusCode));
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.Equal(1, qlik.Revocations);
    }

    [Fact]
    public async Task TokenFaults_AnswerTheInjectedStatusThenRecover()
    {
        var tokens = await ConnectAsync();
        qlik.FailNextTokenRequests(1, 429, TimeSpan.FromSeconds(7));
        qlik.FailNextTokenRequests(1, 503);

        using var limited = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var down = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        using var ok = await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("503", (await OAuthDance.JsonAsync(down)).GetProperty("errors")[0].GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(0, qlik.ReusedRefreshTokens);
    }

    [Fact]
    public async Task Items_PagesWithLimitAndTheNextCursorInLinksNextHref()
    {
        var access = await AccessTokenAsync();
        for (var i = 1; i <= 25; i++)
        {
            qlik.AddApp($"App {i:00}", ada);
        }

        var names = new List<string>();
        var url = "api/v1/items?resourceType=app&limit=10";
        var pages = 0;
        while (url is not null)
        {
            using var response = await ApiAsync(url, access);
            var page = await OAuthDance.JsonAsync(response);
            names.AddRange(page.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            url = page.GetProperty("links").TryGetProperty("next", out var next) ? next.GetProperty("href").GetString() : null;
            Assert.True(url is null || url.StartsWith(qlik.BaseUrl.AbsoluteUri, StringComparison.Ordinal));
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"App {i:00}"), names);
    }

    [Fact]
    public async Task Items_FilterByNameCaseInsensitively_AndByPersonalSpace()
    {
        var access = await AccessTokenAsync();
        var grace = qlik.AddUser("Grace Hopper", "grace@example.com");
        var shared = qlik.AddSpace("Finance", grace, "shared", ada);
        qlik.AddApp("Sales Dashboard", ada);
        qlik.AddApp("Quarterly SALES", grace, shared);
        qlik.AddApp("Grace's private sales", grace);

        var byName = await ItemNamesAsync(access, "api/v1/items?resourceType=app&name=sales");
        var personal = await ItemNamesAsync(access, "api/v1/items?resourceType=app&spaceId=personal");
        var notApps = await ItemNamesAsync(access, "api/v1/items?resourceType=automation");

        Assert.Equal(["Sales Dashboard", "Quarterly SALES"], byName);
        Assert.Equal(["Sales Dashboard"], personal);
        Assert.Empty(notApps);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("next=not-a-cursor")]
    [InlineData("sort=name")]
    public async Task Items_BadParameters_Are400WithQliksErrorBody(string query)
    {
        var access = await AccessTokenAsync();

        using var response = await ApiAsync("api/v1/items?resourceType=app&" + query, access);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await OAuthDance.JsonAsync(response);
        Assert.Equal("400", body.GetProperty("errors")[0].GetProperty("status").GetString());
        Assert.Equal(32, body.GetProperty("traceId").GetString()!.Length);
    }

    [Fact]
    public async Task Apps_OwnVisibleHiddenAndUnknown()
    {
        var access = await AccessTokenAsync();
        var grace = qlik.AddUser("Grace Hopper", "grace@example.com");
        var mine = qlik.AddApp("Mine", ada, description: "Ada's app");
        var hidden = qlik.AddApp("Hidden", grace);

        using var own = await ApiAsync($"api/v1/apps/{mine}", access);
        using var forbidden = await ApiAsync($"api/v1/apps/{hidden}", access);
        using var unknown = await ApiAsync($"api/v1/apps/{Guid.NewGuid()}", access);

        var attributes = (await OAuthDance.JsonAsync(own)).GetProperty("attributes");
        Assert.Equal(("Mine", "Ada's app", ada), (attributes.GetProperty("name").GetString(), attributes.GetProperty("description").GetString(), attributes.GetProperty("ownerId").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Spaces_ListsOnlyMembershipsWithTypeFilterAndCount()
    {
        var access = await AccessTokenAsync();
        var grace = qlik.AddUser("Grace Hopper", "grace@example.com");
        qlik.AddSpace("Finance", ada, "shared");
        qlik.AddSpace("Published", ada, "managed");
        qlik.AddSpace("Secret", grace, "shared");

        using var all = await ApiAsync("api/v1/spaces", access);
        using var managed = await ApiAsync("api/v1/spaces?type=managed", access);

        var body = await OAuthDance.JsonAsync(all);
        Assert.Equal(["Finance", "Published"], body.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(2, body.GetProperty("meta").GetProperty("count").GetInt32());
        Assert.Equal(["Published"], (await OAuthDance.JsonAsync(managed)).GetProperty("data").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Api_WithoutToken_Is401_AndInjectedRateLimitCarriesRetryAfter()
    {
        var access = await AccessTokenAsync();
        using var anonymous = await ApiAsync("api/v1/items", null);

        qlik.FailNextApiRequests(1, 429, TimeSpan.FromSeconds(3));
        using var limited = await ApiAsync("api/v1/items", access);
        using var ok = await ApiAsync("api/v1/items", access);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static (string, string?)[] AuthorizeParameters(string challenge, string scope, string state) =>
    [
        ("client_id", ClientId), ("redirect_uri", Callback.AbsoluteUri), ("response_type", "code"), ("scope", scope),
        ("state", state), ("code_challenge", challenge), ("code_challenge_method", "S256"),
    ];

    private async Task<JsonElement> ConnectAsync(string scope = "user_default offline_access")
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(qlik.AuthorizeUrl, AuthorizeParameters(challenge, scope, "state-1"));
        using var response = await ExchangeAsync(code, verifier);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthDance.JsonAsync(response);
    }

    private async Task<string> AccessTokenAsync() => (await ConnectAsync()).GetProperty("access_token").GetString()!;

    private Task<HttpResponseMessage> ExchangeAsync(string code, string verifier) => dance.PostFormAsync(qlik.TokenUrl,
        [("grant_type", "authorization_code"), ("client_id", ClientId), ("client_secret", Secret), ("code", code), ("redirect_uri", Callback.AbsoluteUri), ("code_verifier", verifier)]);

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) => dance.PostFormAsync(qlik.TokenUrl,
        [("grant_type", "refresh_token"), ("client_id", ClientId), ("client_secret", Secret), ("refresh_token", refreshToken)]);

    private Task<HttpResponseMessage> ApiAsync(string relative, string? access)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(qlik.BaseUrl, relative));
        if (access is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
        }

        return dance.Http.SendAsync(request);
    }

    private async Task<List<string>> ItemNamesAsync(string access, string relative)
    {
        using var response = await ApiAsync(relative, access);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await OAuthDance.JsonAsync(response)).GetProperty("data").EnumerateArray().Select(i => i.GetProperty("name").GetString()!)];
    }

    private static async Task AssertOauth5Async(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await OAuthDance.JsonAsync(response)).GetProperty("errors")[0];
        Assert.Equal(("OAUTH-5", "401"), (error.GetProperty("code").GetString(), error.GetProperty("status").GetString()));
    }
}
