using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>Connecting by OAuth end to end over HTTP, against the real authorization server: authorize → login and
/// consent at the provider → our callback → completion by the chat backend, and every way that path can go wrong.</summary>
public sealed class OAuthFlowTests : IAsyncLifetime
{
    private OAuthRig rig = null!;

    public async Task InitializeAsync() => rig = await OAuthRig.StartAsync();

    public async Task DisposeAsync() => await rig.DisposeAsync();

    [Fact]
    public async Task FullBrowserPath_CompletedByTheSameUser_ConnectsAndToolWorks()
    {
        var (user, token) = NewUser();

        var back = await rig.CallbackAsync(await rig.ApproveAsync(token, "work"));

        Assert.StartsWith(OAuthRig.ReturnUrl + "?", back.ToString(), StringComparison.Ordinal);
        var outcome = OAuthBrowser.Query(back);
        Assert.Equal("connected", outcome["status"]);
        Assert.Equal("generic", outcome["provider"]);
        Assert.Equal("work", outcome["account"]);
        Assert.False(outcome.ContainsKey("access_token") || outcome.ContainsKey("code"));

        // Parked, not active, until the chat backend completes it for this user.
        using (var status = await rig.Host.SendAsync(HttpMethod.Get, "/api/mcp/generic/status?account=work", token))
        {
            Assert.False((await OAuthRig.ReadJsonAsync(status)).GetProperty("connected").GetBoolean());
        }

        using var completed = await rig.CompleteAsync(token, outcome["completion"]);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var view = await OAuthRig.ReadJsonAsync(completed);
        Assert.Equal("active", view.GetProperty("status").GetString());
        Assert.Equal("oauth2", view.GetProperty("auth_type").GetString());
        Assert.True(view.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Contains("offline_access", view.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        var result = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool, """{"account":"work"}""");
        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));
        Assert.Contains("\"sub\":\"alice\"", McpRpc.Text(result).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var (_, credential) = await rig.StoredAsync("acme", user, "work");
        Assert.NotNull(credential.RefreshToken);
        var documents = string.Join('\n', await rig.Host.RawConnectionDocumentsAsync());
        Assert.DoesNotContain(credential.AccessToken!, documents, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.RefreshToken!, documents, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.AccessToken!, rig.Host.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.RefreshToken!, rig.Host.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(outcome["completion"], rig.Host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationUrl_CarriesPkceS256AndAStateBoundServerSide()
    {
        var (_, token) = NewUser();
        using var response = await rig.AuthorizeAsync(token, $$"""{"return_url":"{{OAuthRig.ReturnUrl}}","scopes":["openid","read"]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await OAuthRig.ReadJsonAsync(response);
        var url = new Uri(body.GetProperty("authorization_url").GetString()!);
        var query = OAuthBrowser.Query(url);
        Assert.Equal(rig.Server.AuthorizeEndpoint.GetLeftPart(UriPartial.Path), url.GetLeftPart(UriPartial.Path));
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].Length);
        Assert.Equal(43, query["state"].Length);
        Assert.Equal("openid read", query["scope"]);
        Assert.Equal(rig.Client.RedirectUri.ToString(), query["redirect_uri"]);
        var expiresAt = body.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
    }

    [Fact]
    public async Task CallbackReplayed_SecondTimeIsAnErrorPage_AndNothingMoreIsExchanged()
    {
        var (user, token) = NewUser();
        var redirect = await rig.ApproveAsync(token);
        _ = await rig.CallbackAsync(redirect);
        await rig.Server.ResetStatsAsync();

        using var replay = await rig.Host.Browser.GetAsync(redirect.PathAndQuery);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.StartsWith("text/html", replay.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("OAUTH_STATE_INVALID", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await rig.Server.StatsAsync()).AuthorizationCodeGrants);
        Assert.Null(await Stored(user));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?code=abc")]
    [InlineData("?state=short&code=abc")]
    [InlineData("?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=abc")]
    [InlineData("?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&state=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB&code=abc")]
    public async Task CallbackWithForgedOrMissingState_IsAnErrorPage(string query)
    {
        using var response = await rig.Host.Browser.GetAsync("/api/oauth/callback" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("OAUTH_STATE_INVALID", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredState_IsAnErrorPage_AndTheCodeIsNeverExchanged()
    {
        var (user, _) = NewUser();
        var state = OneTimeCode.New();
        var now = DateTimeOffset.UtcNow;
        await rig.Host.Services.GetRequiredService<IOAuthStateStore>().SaveStateAsync(
            new OAuthState(OneTimeCode.Hash(state), "acme", user, OAuthRig.ProviderId, "default", null, new Uri(OAuthRig.ReturnUrl), [], now.AddMinutes(-11), now.AddMinutes(-1)),
            CancellationToken.None);
        await rig.Server.ResetStatsAsync();

        using var response = await rig.Host.Browser.GetAsync($"/api/oauth/callback?state={state}&code=whatever");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await rig.Server.StatsAsync()).AuthorizationCodeGrants);
        Assert.Null(await Stored(user));
    }

    [Fact]
    public async Task UserDeniesConsent_ReturnsWithOAuthDenied_NothingStored()
    {
        var (user, token) = NewUser();
        using var response = await rig.AuthorizeAsync(token, $$"""{"return_url":"{{OAuthRig.ReturnUrl}}"}""");
        var url = (await OAuthRig.ReadJsonAsync(response)).GetProperty("authorization_url").GetString()!;

        var back = await rig.CallbackAsync(await rig.Browser.DenyAsync(new Uri(url)));

        var outcome = OAuthBrowser.Query(back);
        Assert.Equal("error", outcome["status"]);
        Assert.Equal("OAUTH_DENIED", outcome["code"]);
        Assert.Equal("access_denied", outcome["provider_error"]);
        Assert.False(outcome.ContainsKey("completion"));
        Assert.Null(await Stored(user));
    }

    [Theory]
    [InlineData("https://evil.example/connections/done")]
    [InlineData("https://chat.example.evil.example/connections/done")]
    [InlineData("https://chat.example@evil.example/connections/done")]
    [InlineData("http://chat.example/connections/done")]
    [InlineData("https://chat.example/connections/done/../../admin")]
    [InlineData("https://chat.example/connections/done#x")]
    [InlineData("javascript:alert(1)")]
    public async Task ReturnUrlOffTheAllowlist_IsRefused_NoStateStored(string returnUrl)
    {
        var (_, token) = NewUser();

        using var response = await rig.AuthorizeAsync(token, $$"""{"return_url":"{{returnUrl}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var code = (await OAuthRig.ReadJsonAsync(response)).GetProperty("code").GetString();
        Assert.True(code is "RETURN_URL_NOT_ALLOWED" or "VALIDATION_ERROR", code);
    }

    [Theory]
    [InlineData("""{"return_url": 5}""", "VALIDATION_ERROR")]
    [InlineData("""{"return_url": "https://chat.example/connections/done", "scopes": ["a b"]}""", "VALIDATION_ERROR")]
    [InlineData("""{"return_url": "https://chat.example/connections/done", "extra": 1}""", "VALIDATION_ERROR")]
    [InlineData("""not json""", "VALIDATION_ERROR")]
    public async Task MalformedAuthorizeBody_IsAClearError(string body, string code)
    {
        var (_, token) = NewUser();

        using var response = await rig.AuthorizeAsync(token, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await OAuthRig.ReadJsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Authorize_UnknownProvider404_ApiKeyOnlyProvider400_NoToken401()
    {
        var (_, token) = NewUser();
        var body = OAuthRig.Json($$"""{"return_url":"{{OAuthRig.ReturnUrl}}"}""");

        using var unknown = await rig.Host.SendAsync(HttpMethod.Post, "/api/mcp/nope/authorize", token, body);
        using var apiKeyOnly = await rig.Host.SendAsync(HttpMethod.Post, $"/api/mcp/{OAuthRig.ApiKeyProviderId}/authorize", token, body);
        using var anonymous = await rig.Host.SendAsync(HttpMethod.Post, "/api/mcp/generic/authorize", null, body);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("PROVIDER_NOT_FOUND", (await OAuthRig.ReadJsonAsync(unknown)).GetProperty("code").GetString());
        // docs/errors.md: VALIDATION_ERROR (400), and the detail says how this provider does connect.
        Assert.Equal(HttpStatusCode.BadRequest, apiKeyOnly.StatusCode);
        var problem = await OAuthRig.ReadJsonAsync(apiKeyOnly);
        Assert.Equal("VALIDATION_ERROR", problem.GetProperty("code").GetString());
        Assert.Contains($"/api/mcp/{OAuthRig.ApiKeyProviderId}/connect", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task CompletionCodeOfAnotherUser_IsRefused_AndNotBurntForItsOwner()
    {
        var (alice, aliceToken) = NewUser();
        var (mallory, malloryToken) = NewUser();
        var outcome = OAuthBrowser.Query(await rig.CallbackAsync(await rig.ApproveAsync(aliceToken)));

        using var stolen = await rig.CompleteAsync(malloryToken, outcome["completion"]);

        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.Equal("OAUTH_STATE_INVALID", (await OAuthRig.ReadJsonAsync(stolen)).GetProperty("code").GetString());
        Assert.Null(await Stored(mallory));
        using var own = await rig.CompleteAsync(aliceToken, outcome["completion"]);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var replay = await rig.CompleteAsync(aliceToken, outcome["completion"]);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.NotNull(await Stored(alice));
    }

    [Fact]
    public async Task ConcurrentCompletions_ActivateOnce()
    {
        var (_, token) = NewUser();
        var outcome = OAuthBrowser.Query(await rig.CallbackAsync(await rig.ApproveAsync(token)));

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => rig.CompleteAsync(token, outcome["completion"])));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Array.ForEach(responses, r => r.Dispose());
    }

    [Fact]
    public async Task Disconnect_RevokesAtTheProvider_ThenDeletes()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, credential) = await rig.StoredAsync("acme", user);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.RefreshToken!));

        using var response = await rig.Host.SendAsync(HttpMethod.Delete, "/api/mcp/generic/disconnect", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await OAuthRig.ReadJsonAsync(response);
        Assert.True(body.GetProperty("disconnected").GetBoolean());
        Assert.Equal("revoked", body.GetProperty("revocation").GetString());
        Assert.False(await rig.Server.IsActiveAsync(rig.Client, credential.RefreshToken!));
        Assert.False(await rig.Server.IsActiveAsync(rig.Client, credential.AccessToken!));
        Assert.Null(await Stored(user));

        using var again = await rig.Host.SendAsync(HttpMethod.Delete, "/api/mcp/generic/disconnect", token);
        var second = await OAuthRig.ReadJsonAsync(again);
        Assert.False(second.GetProperty("disconnected").GetBoolean());
        Assert.Equal("not_applicable", second.GetProperty("revocation").GetString());
    }

    [Fact]
    public async Task NotConnected_ToolCallAnswersUrlElicitation_WithAFreshAuthorizationUrl()
    {
        var (_, token) = NewUser();

        var body = await McpRpc.CallAsync(rig.Host, token, "tools/call", $$$"""{"name":"{{{OAuthRig.Tool}}}","arguments":{"account":"work"}}""");

        var error = body.GetProperty("error");
        Assert.Equal(-32042, error.GetProperty("code").GetInt32());
        var elicitation = error.GetProperty("data").GetProperty("elicitations")[0];
        Assert.Equal("url", elicitation.GetProperty("mode").GetString());
        var text = elicitation.GetProperty("url").GetString()!;
        // A valid, encoded absolute URI (RFC 3986): the provider's several scopes must not put a raw space in it.
        Assert.Matches(@"\A[A-Za-z][A-Za-z0-9+.-]*://[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+\z", text);
        Assert.Contains("scope=openid%20offline_access%20read", text, StringComparison.Ordinal);
        var url = new Uri(text);
        Assert.Equal(text, url.AbsoluteUri);
        Assert.Equal(rig.Server.AuthorizeEndpoint.GetLeftPart(UriPartial.Path), url.GetLeftPart(UriPartial.Path));

        // The URL works: the user connects through it and lands back at the default return URL.
        var back = await rig.CallbackAsync(await rig.Browser.ApproveAsync(url));
        Assert.StartsWith(OAuthRig.ReturnUrl, back.ToString(), StringComparison.Ordinal);
        Assert.Equal("work", OAuthBrowser.Query(back)["account"]);
    }

    private async Task<StoredConnection?> Stored(string user) =>
        await rig.Host.Services.GetRequiredService<IConnectionStore>().ReadLatestAsync(
            new ConnectionKey("acme", user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount), CancellationToken.None);

    private static (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        return (user, TestTokens.For(user, "acme"));
    }
}
