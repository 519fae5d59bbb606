using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpFunctions.StandIns.GitHub;
using Microsoft.AspNetCore.WebUtilities;

namespace McpFunctions.Tests.StandIns;

/// <summary>The GitHub stand-in behaves as GitHub documents for GitHub App user tokens: the web flow, 200-with-error answers, rotation, the REST API.</summary>
public sealed class GitHubStandInTests : IAsyncLifetime
{
    private const string ClientId = "Iv23liAbCdEf01234567";
    private const string Secret = "github-app-client-secret";
    private static readonly Uri Callback = new("https://mcp.example/api/oauth/callback");

    private readonly ManualClock clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly OAuthDance dance = new();
    private GitHubStandIn github = null!;
    private long octocat;

    public async Task InitializeAsync()
    {
        github = await GitHubStandIn.StartAsync(clock);
        github.AddClient(ClientId, Secret, Callback);
        octocat = github.AddUser("octocat", "The Octocat");
    }

    public async Task DisposeAsync()
    {
        dance.Dispose();
        await github.DisposeAsync();
    }

    [Fact]
    public async Task WebFlowWithPkce_JsonAnswer_HasGitHubsDocumentedLifetimes()
    {
        var tokens = await ConnectAsync();

        Assert.StartsWith("ghu_", tokens.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("ghr_", tokens.GetProperty("refresh_token").GetString(), StringComparison.Ordinal);
        Assert.Equal((28800, 15897600), (tokens.GetProperty("expires_in").GetInt64(), tokens.GetProperty("refresh_token_expires_in").GetInt64()));
        Assert.Equal(("", "bearer"), (tokens.GetProperty("scope").GetString(), tokens.GetProperty("token_type").GetString()));
        Assert.Equal(1, github.CodeGrants);
    }

    [Fact]
    public async Task Token_WithoutAcceptJson_AnswersFormEncoded()
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(github.AuthorizeUrl, AuthorizeParameters(challenge, "s1"));

        using var response = await dance.PostFormAsync(github.TokenUrl, CodeForm(code, verifier));

        Assert.Equal("application/x-www-form-urlencoded", response.Content.Headers.ContentType!.MediaType);
        var form = QueryHelpers.ParseQuery(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("ghu_", form["access_token"].ToString(), StringComparison.Ordinal);
        Assert.Equal("28800", form["expires_in"].ToString());
    }

    [Fact]
    public async Task Token_Errors_AreHttp200WithAnErrorField()
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(github.AuthorizeUrl, AuthorizeParameters(challenge, "s2"));

        var badSecret = await TokenJsonAsync([("client_id", ClientId), ("client_secret", "nope"), ("code", code), ("code_verifier", verifier)]);
        var badVerifier = await TokenJsonAsync([("client_id", ClientId), ("client_secret", Secret), ("code", code), ("code_verifier", OAuthDance.NewPkce().Verifier)]);
        var badRedirect = await TokenJsonAsync([.. CodeForm(code, verifier), ("redirect_uri", "https://mcp.example/other")]);
        var good = await TokenJsonAsync(CodeForm(code, verifier));
        var replay = await TokenJsonAsync(CodeForm(code, verifier));

        Assert.Equal("incorrect_client_credentials", badSecret.GetProperty("error").GetString());
        Assert.Equal("bad_verification_code", badVerifier.GetProperty("error").GetString());
        Assert.Equal("redirect_uri_mismatch", badRedirect.GetProperty("error").GetString());
        Assert.True(good.TryGetProperty("access_token", out _));
        Assert.Equal("bad_verification_code", replay.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(replay.GetProperty("error_description").GetString()));
        Assert.StartsWith("https://docs.github.com/", replay.GetProperty("error_uri").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_Rotates_EndsTheOldAccessToken_AndCountsReuse()
    {
        var first = await ConnectAsync();
        var oldAccess = first.GetProperty("access_token").GetString()!;
        var oldRefresh = first.GetProperty("refresh_token").GetString()!;

        var second = await RefreshJsonAsync(oldRefresh);
        var reused = await RefreshJsonAsync(oldRefresh);
        using var oldApi = await ApiAsync(HttpMethod.Get, "user", oldAccess);
        using var newApi = await ApiAsync(HttpMethod.Get, "user", second.GetProperty("access_token").GetString());

        Assert.NotEqual(oldRefresh, second.GetProperty("refresh_token").GetString());
        Assert.Equal("bad_refresh_token", reused.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, oldApi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newApi.StatusCode);
        Assert.Equal((1, 1), (github.RefreshGrants, github.ReusedRefreshTokens));
    }

    [Fact]
    public async Task Refresh_ParametersInTheQueryString_AreAccepted()
    {
        var tokens = await ConnectAsync();
        var url = QueryHelpers.AddQueryString(github.TokenUrl.AbsoluteUri, new Dictionary<string, string?>
        {
            ["client_id"] = ClientId,
            ["client_secret"] = Secret,
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.GetProperty("refresh_token").GetString(),
        });

        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await dance.Http.SendAsync(request);

        Assert.StartsWith("ghu_", (await OAuthDance.JsonAsync(response)).GetProperty("access_token").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshToken_ExpiresAfter184Days()
    {
        var tokens = await ConnectAsync();
        clock.Advance(TimeSpan.FromSeconds(15897600));

        var refreshed = await RefreshJsonAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal("bad_refresh_token", refreshed.GetProperty("error").GetString());
        Assert.Equal(0, github.ReusedRefreshTokens);
    }

    [Fact]
    public async Task AccessToken_ExpiresAfterEightHours()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();
        clock.Advance(TimeSpan.FromHours(8));

        using var response = await ApiAsync(HttpMethod.Get, "user", access);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bad credentials", (await OAuthDance.JsonAsync(response)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Authorize_UnregisteredRedirect_GoesToTheRegisteredCallbackWithRedirectUriMismatch()
    {
        var (_, challenge) = OAuthDance.NewPkce();

        using var response = await dance.AuthorizeAsync(github.AuthorizeUrl, ("client_id", ClientId), ("redirect_uri", "https://evil.example/cb"),
            ("state", "s3"), ("code_challenge", challenge), ("code_challenge_method", "S256"));

        var location = response.Headers.Location!;
        Assert.StartsWith(Callback.AbsoluteUri, location.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(("redirect_uri_mismatch", "s3"), (OAuthDance.Query(location, "error"), OAuthDance.Query(location, "state")));
    }

    [Fact]
    public async Task Authorize_DeniedOrUnknownClient()
    {
        github.DenyConsent = true;
        var (_, challenge) = OAuthDance.NewPkce();

        using var denied = await dance.AuthorizeAsync(github.AuthorizeUrl, AuthorizeParameters(challenge, "s4"));
        using var unknown = await dance.AuthorizeAsync(github.AuthorizeUrl, ("client_id", "Iv1.nope"), ("state", "s5"));

        Assert.Equal("access_denied", OAuthDance.Query(denied.Headers.Location!, "error"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task DeleteGrant_WithBasicClientAuth_Is204_AndEndsAccessAndRefresh()
    {
        var tokens = await ConnectAsync();
        var access = tokens.GetProperty("access_token").GetString()!;

        using var wrongAuth = await DeleteGrantAsync(access, OAuthDance.Basic(ClientId, "nope"));
        using var missing = await DeleteGrantAsync(null, OAuthDance.Basic(ClientId, Secret));
        using var deleted = await DeleteGrantAsync(access, OAuthDance.Basic(ClientId, Secret));
        using var api = await ApiAsync(HttpMethod.Get, "user", access);
        var refresh = await RefreshJsonAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.NotFound, wrongAuth.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("bad_refresh_token", refresh.GetProperty("error").GetString());
        Assert.Equal(1, github.Revocations);
    }

    [Fact]
    public async Task RevokeGrant_ForTheUser_EndsRefresh()
    {
        var tokens = await ConnectAsync();

        github.RevokeGrant(octocat);
        var refresh = await RefreshJsonAsync(tokens.GetProperty("refresh_token").GetString()!);

        Assert.Equal("bad_refresh_token", refresh.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Api_RequiresAUserAgent_AndSendsRateLimitHeaders()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();

        using var noAgent = await ApiAsync(HttpMethod.Get, "user", access, userAgent: null);
        using var user = await ApiAsync(HttpMethod.Get, "user", access);

        Assert.Equal(HttpStatusCode.Forbidden, noAgent.StatusCode);
        Assert.Contains("User-Agent", await noAgent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("octocat", (await OAuthDance.JsonAsync(user)).GetProperty("login").GetString());
        Assert.Equal("5000", user.Headers.GetValues("x-ratelimit-limit").Single());
        Assert.Equal("4999", user.Headers.GetValues("x-ratelimit-remaining").Single());
        Assert.Equal(clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), user.Headers.GetValues("x-ratelimit-reset").Single());
    }

    [Fact]
    public async Task Api_RateLimitUsedUp_Is403UntilTheWindowResets()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();
        github.RateLimit = 2;

        using var one = await ApiAsync(HttpMethod.Get, "user", access);
        using var two = await ApiAsync(HttpMethod.Get, "user", access);
        using var three = await ApiAsync(HttpMethod.Get, "user", access);
        clock.Advance(TimeSpan.FromHours(1));
        using var four = await ApiAsync(HttpMethod.Get, "user", access);

        Assert.Equal(HttpStatusCode.Forbidden, three.StatusCode);
        Assert.Contains("API rate limit exceeded", (await OAuthDance.JsonAsync(three)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("0", three.Headers.GetValues("x-ratelimit-remaining").Single());
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (one.StatusCode, two.StatusCode));
        Assert.Equal(HttpStatusCode.OK, four.StatusCode);
    }

    [Fact]
    public async Task Api_InjectedFaults_429CarriesRetryAfter()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();
        github.FailNextApiRequests(1, 429, TimeSpan.FromSeconds(60));

        using var limited = await ApiAsync(HttpMethod.Get, "user", access);
        using var ok = await ApiAsync(HttpMethod.Get, "user", access);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task TokenEndpointFault_IsAnHtmlPage_NotJson()
    {
        var tokens = await ConnectAsync();
        github.FailNextTokenRequests(1, 503);

        using var request = new HttpRequestMessage(HttpMethod.Post, github.TokenUrl)
        {
            Content = new FormUrlEncodedContent([new("client_id", ClientId), new("client_secret", Secret), new("grant_type", "refresh_token"), new("refresh_token", tokens.GetProperty("refresh_token").GetString()!)]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await dance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(0, github.RefreshGrants);
    }

    [Fact]
    public async Task Repos_PagesWithPerPageAndALinkHeader_AndHidesOthersPrivateRepos()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();
        for (var i = 1; i <= 5; i++)
        {
            github.AddRepo("octocat", $"repo-{i}", isPrivate: i == 5);
        }

        github.AddUser("hubot");
        github.AddRepo("hubot", "secret", isPrivate: true);
        github.AddRepo("octocat", "not-installed", isPrivate: true, appInstalled: false);

        using var page1 = await ApiAsync(HttpMethod.Get, "user/repos?per_page=2", access);
        using var page3 = await ApiAsync(HttpMethod.Get, "user/repos?per_page=2&page=3", access);
        using var secret = await ApiAsync(HttpMethod.Get, "repos/hubot/secret", access);

        Assert.Equal(["octocat/repo-1", "octocat/repo-2"], (await OAuthDance.JsonAsync(page1)).EnumerateArray().Select(r => r.GetProperty("full_name").GetString()));
        var link = page1.Headers.GetValues("Link").Single();
        Assert.Contains("page=2>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("page=3>; rel=\"last\"", link, StringComparison.Ordinal);
        Assert.Equal(["octocat/repo-5"], (await OAuthDance.JsonAsync(page3)).EnumerateArray().Select(r => r.GetProperty("full_name").GetString()));
        Assert.DoesNotContain("rel=\"next\"", page3.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, secret.StatusCode);
        Assert.Equal("Not Found", (await OAuthDance.JsonAsync(secret)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Issues_CreateGetAndValidate()
    {
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();
        github.AddRepo("octocat", "hello-world");
        github.AddRepo("octocat", "elsewhere", appInstalled: false);

        using var created = await ApiAsync(HttpMethod.Post, "repos/octocat/hello-world/issues", access, """{"title":"Found a bug","body":"Details","labels":["bug"]}""");
        using var fetched = await ApiAsync(HttpMethod.Get, "repos/octocat/hello-world/issues/1", access);
        using var noTitle = await ApiAsync(HttpMethod.Post, "repos/octocat/hello-world/issues", access, """{"body":"x"}""");
        using var notJson = await ApiAsync(HttpMethod.Post, "repos/octocat/hello-world/issues", access, "{");
        using var notInstalled = await ApiAsync(HttpMethod.Post, "repos/octocat/elsewhere/issues", access, """{"title":"x"}""");
        using var missing = await ApiAsync(HttpMethod.Get, "repos/octocat/hello-world/issues/99", access);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith("/repos/octocat/hello-world/issues/1", created.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        var issue = await OAuthDance.JsonAsync(fetched);
        Assert.Equal((1, "Found a bug", "bug", "octocat"), (issue.GetProperty("number").GetInt32(), issue.GetProperty("title").GetString(),
            issue.GetProperty("labels")[0].GetProperty("name").GetString(), issue.GetProperty("user").GetProperty("login").GetString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noTitle.StatusCode);
        Assert.Contains("\"title\" wasn't supplied", (await OAuthDance.JsonAsync(noTitle)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notInstalled.StatusCode);
        Assert.Equal("Resource not accessible by integration", (await OAuthDance.JsonAsync(notInstalled)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Issues_ByANonCollaborator_DropLabelsSilently_AndCommentsCount()
    {
        github.AddUser("hubot");
        github.AddRepo("hubot", "public-repo");
        var access = (await ConnectAsync()).GetProperty("access_token").GetString();

        using var created = await ApiAsync(HttpMethod.Post, "repos/hubot/public-repo/issues", access, """{"title":"Hi","labels":["bug"],"assignees":["hubot"]}""");
        using var comment = await ApiAsync(HttpMethod.Post, "repos/hubot/public-repo/issues/1/comments", access, """{"body":"Me too"}""");
        using var fetched = await ApiAsync(HttpMethod.Get, "repos/hubot/public-repo/issues/1", access);

        var issue = await OAuthDance.JsonAsync(created);
        Assert.Equal(0, issue.GetProperty("labels").GetArrayLength());
        Assert.Equal(0, issue.GetProperty("assignees").GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, comment.StatusCode);
        Assert.Equal(1, (await OAuthDance.JsonAsync(fetched)).GetProperty("comments").GetInt32());
    }

    [Fact]
    public async Task NonExpiringUserTokens_HaveNoExpiryAndNoRefreshToken()
    {
        await using var legacy = await GitHubStandIn.StartAsync(clock, expiringUserTokens: false);
        legacy.AddClient(ClientId, Secret, Callback);
        legacy.AddUser("octocat");
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(legacy.AuthorizeUrl, AuthorizeParameters(challenge, "s6"));

        using var response = await dance.PostFormAsync(legacy.TokenUrl, CodeForm(code, verifier), r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json")));
        var tokens = await OAuthDance.JsonAsync(response);

        Assert.True(tokens.TryGetProperty("access_token", out _));
        Assert.False(tokens.TryGetProperty("expires_in", out _));
        Assert.False(tokens.TryGetProperty("refresh_token", out _));
    }

    private static (string, string?)[] AuthorizeParameters(string challenge, string state) =>
        [("client_id", ClientId), ("redirect_uri", Callback.AbsoluteUri), ("state", state), ("code_challenge", challenge), ("code_challenge_method", "S256")];

    private static (string, string)[] CodeForm(string code, string verifier) =>
        [("client_id", ClientId), ("client_secret", Secret), ("code", code), ("redirect_uri", Callback.AbsoluteUri), ("code_verifier", verifier)];

    private async Task<JsonElement> ConnectAsync()
    {
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(github.AuthorizeUrl, AuthorizeParameters(challenge, "state-1"));
        return await TokenJsonAsync(CodeForm(code, verifier));
    }

    private async Task<JsonElement> TokenJsonAsync(IEnumerable<(string, string)> form)
    {
        using var response = await dance.PostFormAsync(github.TokenUrl, form, r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthDance.JsonAsync(response);
    }

    private Task<JsonElement> RefreshJsonAsync(string refreshToken) =>
        TokenJsonAsync([("client_id", ClientId), ("client_secret", Secret), ("grant_type", "refresh_token"), ("refresh_token", refreshToken)]);

    private Task<HttpResponseMessage> ApiAsync(HttpMethod method, string relative, string? access, string? json = null, string? userAgent = "McpFunctions-tests")
    {
        var request = new HttpRequestMessage(method, new Uri(github.BaseUrl, relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.Add("X-GitHub-Api-Version", GitHubStandIn.ApiVersion);
        if (userAgent is not null)
        {
            request.Headers.UserAgent.ParseAdd(userAgent);
        }

        if (access is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return dance.Http.SendAsync(request);
    }

    private Task<HttpResponseMessage> DeleteGrantAsync(string? accessToken, AuthenticationHeaderValue auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(github.RevocationUrlTemplate.Replace("{client_id}", ClientId, StringComparison.Ordinal)))
        {
            Content = new StringContent(accessToken is null ? "{}" : $$"""{"access_token":"{{accessToken}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = auth;
        request.Headers.UserAgent.ParseAdd("McpFunctions-tests");
        return dance.Http.SendAsync(request);
    }
}
