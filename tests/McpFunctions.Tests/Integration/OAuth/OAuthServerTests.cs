using System.Net;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>The real authorization server (oidc-provider 8 via tools/localstack/oauth-server.mjs) behaves as the
/// OAuth connection code will rely on: code + PKCE S256, refresh rotation with reuse detection, RFC 7009 revocation,
/// both client authentication methods, the test counters, and denial at consent.</summary>
public sealed class OAuthServerTests
{
    private const string Scope = "read offline_access";

    private static readonly OAuthClient BasicClient = new(
        "basic-app", "basic-secret", new Uri("http://127.0.0.1:5999/oauth/callback"), OAuthClientAuthentication.ClientSecretBasic);

    private static readonly OAuthClient PostClient = new(
        "post-app", "post secret+/=", new Uri("http://127.0.0.1:5998/cb"), OAuthClientAuthentication.ClientSecretPost);

    [Fact]
    public async Task CodeFlowWithPkceS256YieldsAccessAndRefreshTokens()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient, PostClient);
        using var browser = new OAuthBrowser();
        var pkce = OAuthPkce.Create();

        var redirect = await browser.ApproveAsync(server.AuthorizeUrl(BasicClient, Scope, "state-1", pkce.Challenge));

        Assert.Equal(BasicClient.RedirectUri.GetLeftPart(UriPartial.Path), redirect.GetLeftPart(UriPartial.Path));
        Assert.Equal(1, browser.Interactions);
        var query = OAuthBrowser.Query(redirect);
        Assert.Equal("state-1", query["state"]);
        Assert.Equal(server.IssuerIdentifier, query["iss"]);
        Assert.False(query.ContainsKey("error"), redirect.ToString());

        var tokens = await server.ExchangeCodeAsync(BasicClient, query["code"], pkce.Verifier);

        Assert.True(tokens.IsSuccess, tokens.ToString());
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
        Assert.False(string.IsNullOrEmpty(tokens.RefreshToken));
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(60, tokens.ExpiresIn);
        Assert.Equal(["offline_access", "read"], tokens.Scope!.Split(' ').Order(StringComparer.Ordinal));
        Assert.True(await server.IsActiveAsync(BasicClient, tokens.AccessToken!));
    }

    [Fact]
    public async Task AccessTokenLifetimeIsConfigurableAndTheTokenExpires()
    {
        // 3 s rather than 1: the refreshed token must still be active when introspected, on a loaded 2-core machine too.
        await using var server = await OAuthServer.StartAsync(new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromSeconds(3) }, BasicClient);
        using var browser = new OAuthBrowser();

        var tokens = await AuthorizeAsync(server, browser, BasicClient);

        Assert.Equal(3, tokens.ExpiresIn);
        await Task.Delay(TimeSpan.FromSeconds(4.2));
        Assert.False(await server.IsActiveAsync(BasicClient, tokens.AccessToken!));
        var refreshed = await server.RefreshAsync(BasicClient, tokens.RefreshToken!);
        Assert.True(refreshed.IsSuccess, refreshed.ToString());
        Assert.True(await server.IsActiveAsync(BasicClient, refreshed.AccessToken!));
    }

    [Fact]
    public async Task WithoutOfflineAccessThereIsNoRefreshToken()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();

        var tokens = await AuthorizeAsync(server, browser, BasicClient, scope: "read");

        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
        Assert.Null(tokens.RefreshToken);
        Assert.Equal("read", tokens.Scope);
    }

    [Fact]
    public async Task CodeWithoutTheRightVerifierIsRejected()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();
        var pkce = OAuthPkce.Create();
        var code = await CodeAsync(server, browser, BasicClient, pkce);

        var wrong = await server.ExchangeCodeAsync(BasicClient, code, OAuthPkce.Create().Verifier);
        var missing = await server.ExchangeCodeAsync(BasicClient, code, codeVerifier: null);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal("invalid_grant", wrong.Error);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal("invalid_grant", missing.Error);
        var stats = await server.StatsAsync();
        Assert.Equal(2, stats.AuthorizationCodeGrantErrors);
        Assert.Equal("PKCE verification failed", stats.LastError?.Detail);
    }

    [Fact]
    public async Task AuthorizationRequestWithoutPkceOrWithPlainIsRejected()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();

        var none = OAuthBrowser.Query(await browser.ApproveAsync(server.AuthorizeUrl(BasicClient, Scope, "s-none", codeChallenge: null)));
        var plainVerifier = OAuthPkce.Create().Verifier;
        var plain = OAuthBrowser.Query(await browser.ApproveAsync(
            server.AuthorizeUrl(BasicClient, Scope, "s-plain", plainVerifier, codeChallengeMethod: "plain")));

        Assert.Equal("invalid_request", none["error"]);
        Assert.Equal("s-none", none["state"]);
        Assert.False(none.ContainsKey("code"));
        Assert.Equal("invalid_request", plain["error"]);
        Assert.False(plain.ContainsKey("code"));
        Assert.Equal(0, browser.Interactions);
        Assert.Equal(2, (await server.StatsAsync()).AuthorizationErrors);
    }

    [Fact]
    public async Task RefreshRotatesAndReusingARotatedTokenRevokesTheWholeFamily()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();
        var first = await AuthorizeAsync(server, browser, BasicClient);

        var second = await server.RefreshAsync(BasicClient, first.RefreshToken!);

        Assert.True(second.IsSuccess, second.ToString());
        Assert.False(string.IsNullOrEmpty(second.RefreshToken));
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.NotEqual(first.AccessToken, second.AccessToken);
        Assert.Equal(60, second.ExpiresIn);

        // Reuse of the rotated (consumed) token: rejected, and the provider revokes the grant.
        var reuse = await server.RefreshAsync(BasicClient, first.RefreshToken!);
        Assert.Equal(HttpStatusCode.BadRequest, reuse.Status);
        Assert.Equal("invalid_grant", reuse.Error);

        // ... so the newest refresh token of the family is dead too, and so are the access tokens.
        var afterReuse = await server.RefreshAsync(BasicClient, second.RefreshToken!);
        Assert.Equal(HttpStatusCode.BadRequest, afterReuse.Status);
        Assert.Equal("invalid_grant", afterReuse.Error);
        Assert.False(await server.IsActiveAsync(BasicClient, second.AccessToken!));
        Assert.False(await server.IsActiveAsync(BasicClient, first.AccessToken!));

        var stats = await server.StatsAsync();
        Assert.Equal(1, stats.RefreshTokenGrants);
        Assert.Equal(1, stats.RefreshTokensRotated);
        Assert.Equal(1, stats.RefreshTokenReuses);
        Assert.Equal(2, stats.RefreshTokenGrantErrors);
        Assert.Equal(1, stats.GrantsRevoked);
        Assert.Equal("refresh token not found", stats.LastError?.Detail);
    }

    [Fact]
    public async Task ClientWithoutRotation_RefreshAnswersNoRefreshToken_AndTheOriginalKeepsWorking()
    {
        var steady = new OAuthClient("steady-app", "steady-secret", new Uri("http://127.0.0.1:5997/cb"), RotateRefreshTokens: false);
        await using var server = await OAuthServer.StartAsync(BasicClient, steady);
        using var browser = new OAuthBrowser();
        var first = await AuthorizeAsync(server, browser, steady);

        var second = await server.RefreshAsync(steady, first.RefreshToken!);
        var third = await server.RefreshAsync(steady, first.RefreshToken!);

        Assert.True(second.IsSuccess, second.ToString());
        Assert.True(third.IsSuccess, third.ToString());
        Assert.Null(second.RefreshToken);
        Assert.Null(third.RefreshToken);
        Assert.NotEqual(second.AccessToken, third.AccessToken);
        Assert.True(await server.IsActiveAsync(steady, first.RefreshToken!));
        var stats = await server.StatsAsync();
        Assert.Equal(2, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokensRotated);
        Assert.Equal(0, stats.RefreshTokenReuses);

        // The other client still rotates.
        var rotating = await AuthorizeAsync(server, browser, BasicClient);
        Assert.NotNull((await server.RefreshAsync(BasicClient, rotating.RefreshToken!)).RefreshToken);
    }

    [Fact]
    public async Task MintedRefreshTokensRefreshOnceWithRotationAndTheirReuseIsDetected()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient, PostClient);

        var minted = await server.MintRefreshTokensAsync(BasicClient, 3, account: "minted-user", scope: "read");

        Assert.Equal(3, minted.Distinct(StringComparer.Ordinal).Count());
        var refreshed = await server.RefreshAsync(BasicClient, minted[0]);
        Assert.True(refreshed.IsSuccess, refreshed.ToString());
        Assert.NotEqual(minted[0], refreshed.RefreshToken);
        Assert.Equal(["offline_access", "read"], refreshed.Scope!.Split(' ').Order(StringComparer.Ordinal));
        Assert.True(await server.IsActiveAsync(BasicClient, refreshed.AccessToken!));

        // Reusing the rotated token revokes its grant (the newest token too), and only that grant.
        var reuse = await server.RefreshAsync(BasicClient, minted[0]);
        Assert.Equal("invalid_grant", reuse.Error);
        Assert.Equal("invalid_grant", (await server.RefreshAsync(BasicClient, refreshed.RefreshToken!)).Error);
        Assert.True((await server.RefreshAsync(BasicClient, minted[1])).IsSuccess);
        // Bound to the client it was minted for.
        Assert.Equal("invalid_grant", (await server.RefreshAsync(PostClient, minted[2])).Error);

        var stats = await server.StatsAsync();
        Assert.Equal(2, stats.RefreshTokenGrants);
        Assert.Equal(1, stats.RefreshTokenReuses);
        Assert.Equal(1, stats.GrantsRevoked);
        Assert.Equal(0, stats.AuthorizationCodeGrants);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.MintRefreshTokensAsync(BasicClient, 1, scope: "unknown-scope"));
    }

    [Fact]
    public async Task ReplayingAnAuthorizationCodeRevokesTheTokensIssuedForIt()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();
        var pkce = OAuthPkce.Create();
        var code = await CodeAsync(server, browser, BasicClient, pkce);
        var tokens = await server.ExchangeCodeAsync(BasicClient, code, pkce.Verifier);
        Assert.True(tokens.IsSuccess, tokens.ToString());

        var replay = await server.ExchangeCodeAsync(BasicClient, code, pkce.Verifier);

        Assert.Equal("invalid_grant", replay.Error);
        Assert.False(await server.IsActiveAsync(BasicClient, tokens.AccessToken!));
        Assert.Equal("invalid_grant", (await server.RefreshAsync(BasicClient, tokens.RefreshToken!)).Error);
    }

    [Fact]
    public async Task RevokedRefreshTokenIsUnusable()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();
        var tokens = await AuthorizeAsync(server, browser, BasicClient);

        Assert.Equal(HttpStatusCode.OK, await server.RevokeAsync(BasicClient, tokens.RefreshToken!, "refresh_token"));

        var refresh = await server.RefreshAsync(BasicClient, tokens.RefreshToken!);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.Status);
        Assert.Equal("invalid_grant", refresh.Error);
        // Revoking a refresh token revokes its grant: the access token issued with it is gone too.
        Assert.False(await server.IsActiveAsync(BasicClient, tokens.AccessToken!));
        // RFC 7009 §2.2: revoking an unknown (or already revoked) token is still a 200.
        Assert.Equal(HttpStatusCode.OK, await server.RevokeAsync(BasicClient, tokens.RefreshToken!, "refresh_token"));
        var stats = await server.StatsAsync();
        Assert.Equal(2, stats.RevocationRequests);
        Assert.Equal(1, stats.Revocations);
        Assert.Equal(1, stats.GrantsRevoked);
    }

    [Fact]
    public async Task ClientSecretBasicAndClientSecretPostBothWorkAsRegistered()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient, PostClient);
        using var browser = new OAuthBrowser();

        foreach (var client in new[] { BasicClient, PostClient })
        {
            var tokens = await AuthorizeAsync(server, browser, client);
            var refreshed = await server.RefreshAsync(client, tokens.RefreshToken!);
            Assert.True(refreshed.IsSuccess, $"{client.ClientId}: {refreshed}");
            Assert.Equal(HttpStatusCode.OK, await server.RevokeAsync(client, refreshed.RefreshToken!));
        }

        // A client must use the method it is registered with (the launcher enforces it), and its secret.
        var basicAsPost = await server.RefreshAsync(BasicClient with { Authentication = OAuthClientAuthentication.ClientSecretPost }, "whatever");
        var postAsBasic = await server.RefreshAsync(PostClient with { Authentication = OAuthClientAuthentication.ClientSecretBasic }, "whatever");
        var mismatch = (await server.StatsAsync()).LastError;
        var wrongSecret = await server.RefreshAsync(BasicClient with { ClientSecret = "not-the-secret" }, "whatever");
        Assert.Equal(HttpStatusCode.Unauthorized, basicAsPost.Status);
        Assert.Equal("invalid_client", basicAsPost.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, postAsBasic.Status);
        Assert.Equal("invalid_client", postAsBasic.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.Status);
        Assert.Equal("invalid_client", wrongSecret.Error);
        Assert.Equal("client post-app is registered for client_secret_post, not client_secret_basic", mismatch?.Detail);
        Assert.Equal("invalid secret provided", (await server.StatsAsync()).LastError?.Detail);
    }

    [Fact]
    public async Task WithoutEnforcementOidcProviderAcceptsEitherSecretMethod()
    {
        await using var server = await OAuthServer.StartAsync(new OAuthServerOptions { EnforceClientAuthMethod = false }, BasicClient, PostClient);
        using var browser = new OAuthBrowser();

        var basic = await AuthorizeAsync(server, browser, BasicClient);
        var post = await AuthorizeAsync(server, browser, PostClient);

        var basicAsPost = await server.RefreshAsync(BasicClient with { Authentication = OAuthClientAuthentication.ClientSecretPost }, basic.RefreshToken!);
        var postAsBasic = await server.RefreshAsync(PostClient with { Authentication = OAuthClientAuthentication.ClientSecretBasic }, post.RefreshToken!);
        Assert.True(basicAsPost.IsSuccess, basicAsPost.ToString());
        Assert.True(postAsBasic.IsSuccess, postAsBasic.ToString());
    }

    [Fact]
    public async Task StatsCountGrantsAndReset()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();
        Assert.Equal(new OAuthStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null), await server.StatsAsync());

        var tokens = await AuthorizeAsync(server, browser, BasicClient);
        var refreshed = await server.RefreshAsync(BasicClient, tokens.RefreshToken!);
        await server.RefreshAsync(BasicClient, refreshed.RefreshToken!);
        await server.RefreshAsync(BasicClient, "not-a-refresh-token");

        var stats = await server.StatsAsync();
        Assert.Equal(1, stats.Authorizations);
        Assert.Equal(1, stats.AuthorizationCodeGrants);
        Assert.Equal(2, stats.RefreshTokenGrants);
        Assert.Equal(2, stats.RefreshTokensRotated);
        Assert.Equal(1, stats.RefreshTokenGrantErrors);
        Assert.Equal(1, stats.GrantErrors);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(new OAuthStatsError("grant.error", "invalid_grant", "grant request is invalid", "refresh token not found", "refresh_token"), stats.LastError);

        await server.ResetStatsAsync();

        Assert.Equal(new OAuthStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null), await server.StatsAsync());
    }

    [Fact]
    public async Task DenyAtConsentReturnsAccessDeniedToTheRedirectUri()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();

        var redirect = await browser.DenyAsync(server.AuthorizeUrl(BasicClient, Scope, "deny-state", OAuthPkce.Create().Challenge));

        Assert.Equal(BasicClient.RedirectUri.GetLeftPart(UriPartial.Path), redirect.GetLeftPart(UriPartial.Path));
        var query = OAuthBrowser.Query(redirect);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal("deny-state", query["state"]);
        Assert.False(query.ContainsKey("code"));
        Assert.Equal(1, browser.Interactions);
        var stats = await server.StatsAsync();
        Assert.Equal(1, stats.AuthorizationErrors);
        Assert.Equal("access_denied", stats.LastError?.Error);
    }

    [Fact]
    public async Task SecondAuthorizationInTheSameBrowserAgainYieldsTokens()
    {
        await using var server = await OAuthServer.StartAsync(BasicClient);
        using var browser = new OAuthBrowser();

        var first = await AuthorizeAsync(server, browser, BasicClient);
        var second = await AuthorizeAsync(server, browser, BasicClient);

        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.True((await server.RefreshAsync(BasicClient, first.RefreshToken!)).IsSuccess);
        Assert.True((await server.RefreshAsync(BasicClient, second.RefreshToken!)).IsSuccess);
    }

    private static async Task<string> CodeAsync(OAuthServer server, OAuthBrowser browser, OAuthClient client, OAuthPkce pkce, string scope = Scope)
    {
        var state = Guid.NewGuid().ToString("N");
        var redirect = await browser.ApproveAsync(server.AuthorizeUrl(client, scope, state, pkce.Challenge));
        var query = OAuthBrowser.Query(redirect);
        Assert.True(query.ContainsKey("code"), redirect.ToString());
        Assert.Equal(state, query["state"]);
        return query["code"];
    }

    private static async Task<OAuthTokenResponse> AuthorizeAsync(OAuthServer server, OAuthBrowser browser, OAuthClient client, string scope = Scope)
    {
        var pkce = OAuthPkce.Create();
        var code = await CodeAsync(server, browser, client, pkce, scope);
        var tokens = await server.ExchangeCodeAsync(client, code, pkce.Verifier);
        Assert.True(tokens.IsSuccess, tokens.ToString());
        return tokens;
    }
}
