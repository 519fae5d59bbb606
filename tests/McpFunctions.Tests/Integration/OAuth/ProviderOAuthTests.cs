using System.Net;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.StandIns.GitHub;
using McpFunctions.StandIns.Qlik;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>Our OAuth client speaking each catalog provider's dialect, against the Qlik Cloud, GitHub and Notion stand-ins
/// (their token endpoints answer as documented: Qlik's error bodies, GitHub's errors inside HTTP 200 and rotating
/// 8-hour tokens, Notion's JSON body with Basic auth and no expires_in): connect through the browser path (keeping the
/// provider's metadata: Notion's workspace, Qlik's tenant, GitHub's login), refresh
/// after the provider drops the access token, revoke on disconnect, and needs_reauth when the grant is revoked.</summary>
public sealed class ProviderOAuthTests
{
    private const string ReturnUrl = "https://chat.example/connected";

    /// <summary>An expected metadata value that is an id the stand-in made up.</summary>
    private const string AnyId = "<any id>";

    [Fact]
    public async Task Qlik_ConnectRefreshRevokeAndReauth()
    {
        await using var qlik = await QlikStandIn.StartAsync();
        var user = qlik.AddUser("Ana", "ana@example.com");
        qlik.AddSpace("Finance", user);
        qlik.SignedInUser = user;
        await RunAsync(
            new Dialect(
                "qlik",
                qlik.AuthorizeUrl,
                qlik.TokenUrl,
                qlik.RevocationUrl.AbsoluteUri,
                qlik.BaseUrl,
                "qlik_list_spaces",
                (id, secret, callback) => qlik.AddClient(id, secret, callback),
                qlik.ExpireAllAccessTokens,
                () => qlik.RevokeGrant(user),
                () => (qlik.RefreshGrants, qlik.ReusedRefreshTokens, qlik.Revocations),
                // From the identity call (GET /api/v1/users/me) made with the new token.
                new Dictionary<string, string> { ["tenant_id"] = qlik.TenantId, ["user_id"] = user, ["user_name"] = "Ana", ["email"] = "ana@example.com" }));
    }

    [Fact]
    public async Task GitHub_ConnectRefreshRevokeAndReauth()
    {
        await using var github = await GitHubStandIn.StartAsync();
        var user = github.AddUser("octo");
        github.AddRepo("octo", "hello");
        github.SignedInUser = user;
        await RunAsync(
            new Dialect(
                "github",
                github.AuthorizeUrl,
                github.TokenUrl,
                github.RevocationUrlTemplate,
                github.BaseUrl,
                "github_list_repos",
                (id, secret, callback) => github.AddClient(id, secret, callback),
                github.ExpireAllAccessTokens,
                () => github.RevokeGrant(user),
                () => (github.RefreshGrants, github.ReusedRefreshTokens, github.Revocations),
                // From the identity call (GET /user) made with the new token.
                new Dictionary<string, string> { ["login"] = "octo", ["user_id"] = user.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task NotionPublicIntegration_ConnectRefreshRevokeAndReauth()
    {
        // One Notion stand-in serves both the API the tools call and the OAuth endpoints.
        var notion = await McpFunctions.StandIns.Notion.NotionStandIn.StartAsync();
        var user = notion.AddOAuthUser("Acme HQ", "Ana", "ana@example.com");
        notion.SignedInUser = user;
        await RunAsync(
            new Dialect(
                "notion",
                notion.OAuthAuthorizeUrl,
                notion.OAuthTokenUrl,
                notion.OAuthRevokeUrl.AbsoluteUri,
                notion.BaseUrl,
                "notion_list_users",
                (id, secret, callback) => notion.AddOAuthClient(id, secret, "Acme Assistant", callback),
                notion.ExpireAllAccessTokens,
                () => notion.RevokeGrant(user),
                () => (notion.RefreshGrants, notion.ReusedRefreshTokens, notion.Revocations),
                // workspace_name and bot_id also come from the identity call; workspace_id only from the token response.
                new Dictionary<string, string> { ["workspace_name"] = "Acme HQ", ["workspace_id"] = AnyId, ["bot_id"] = AnyId }),
            notion);
    }

    private static async Task RunAsync(Dialect dialect, McpFunctions.StandIns.Notion.NotionStandIn? notion = null)
    {
        var port = OAuthRig.FreePort();
        var callback = new Uri($"http://127.0.0.1:{port}/api/oauth/callback");
        var (clientId, clientSecret) = ("client-" + dialect.Provider, "secret-" + Guid.NewGuid().ToString("N"));
        dialect.AddClient(clientId, clientSecret, callback);
        await using var host = await TestHost.StartAsync(
            s =>
            {
                s[$"Providers:{dialect.Provider}:ClientId"] = clientId;
                s[$"Providers:{dialect.Provider}:ClientSecret"] = clientSecret;
                s["OAuth:CallbackUrl"] = callback.ToString();
                s["OAuth:ReturnUrlAllowlist:0"] = ReturnUrl;
                s["OAuth:DefaultReturnUrl"] = ReturnUrl;
                s[$"Providers:{dialect.Provider}:BaseUrl"] = dialect.BaseUrl.AbsoluteUri;
                s[$"Providers:{dialect.Provider}:AuthorizeUrl"] = dialect.AuthorizeUrl.AbsoluteUri;
                s[$"Providers:{dialect.Provider}:TokenUrl"] = dialect.TokenUrl.AbsoluteUri;
                s[$"Providers:{dialect.Provider}:RevokeUrl"] = dialect.RevokeUrl;
            },
            sharedNotion: notion,
            port: port);
        var userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        var token = TestTokens.For(userId, "acme");

        var completed = await ConnectAsync(host, dialect.Provider, token);
        using (var connected = await host.SendAsync(HttpMethod.Get, $"/api/mcp/{dialect.Provider}/status", token))
        using (var list = await host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token))
        {
            var listed = Assert.Single((await OAuthRig.ReadJsonAsync(list)).GetProperty("connections").EnumerateArray());
            foreach (var shown in new[] { completed, await OAuthRig.ReadJsonAsync(connected), listed })
            {
                AssertMetadata(dialect.Metadata, shown.GetProperty("metadata"));
            }
        }

        var first = await McpRpc.ToolAsync(host, token, dialect.Tool);
        Assert.False(McpRpc.IsError(first), McpRpc.Text(first));

        // The provider drops the access token early: one 401, one refresh, one retry.
        dialect.ExpireAccessTokens();
        var afterExpiry = await McpRpc.ToolAsync(host, token, dialect.Tool);
        Assert.False(McpRpc.IsError(afterExpiry), McpRpc.Text(afterExpiry));
        var (refreshes, reused, _) = dialect.Counters();
        Assert.Equal(1, refreshes);
        Assert.Equal(0, reused);

        using (var disconnect = await host.SendAsync(HttpMethod.Delete, $"/api/mcp/{dialect.Provider}/disconnect", token))
        {
            var body = await OAuthRig.ReadJsonAsync(disconnect);
            Assert.True(body.GetProperty("disconnected").GetBoolean());
            Assert.Equal("revoked", body.GetProperty("revocation").GetString());
        }

        Assert.Equal(1, dialect.Counters().Revocations);

        // Connected again, then the user revokes the app at the provider: invalid_grant on refresh → needs_reauth.
        await ConnectAsync(host, dialect.Provider, token);
        dialect.RevokeGrant();
        dialect.ExpireAccessTokens();
        var revoked = await McpRpc.CallAsync(host, token, "tools/call", $$$"""{"name":"{{{dialect.Tool}}}","arguments":{}}""");
        Assert.Equal(-32042, revoked.GetProperty("error").GetProperty("code").GetInt32());
        using var status = await host.SendAsync(HttpMethod.Get, $"/api/mcp/{dialect.Provider}/status", token);
        var view = await OAuthRig.ReadJsonAsync(status);
        Assert.Equal("needs_reauth", view.GetProperty("status").GetString());
        Assert.Equal(0, dialect.Counters().Reused);
    }

    /// <summary>Every expected entry is there with its value (<see cref="AnyId"/>: any Notion-style UUID).</summary>
    private static void AssertMetadata(IReadOnlyDictionary<string, string> expected, JsonElement metadata)
    {
        foreach (var (name, value) in expected)
        {
            Assert.True(metadata.TryGetProperty(name, out var actual), $"metadata has no {name}: {metadata.GetRawText()}");
            if (value == AnyId)
            {
                Assert.True(Guid.TryParse(actual.GetString(), out _), $"metadata {name} is not an id: {metadata.GetRawText()}");
            }
            else
            {
                Assert.Equal(value, actual.GetString());
            }
        }
    }

    private static async Task<JsonElement> ConnectAsync(TestHost host, string provider, string token)
    {
        using var authorize = await host.SendAsync(HttpMethod.Post, $"/api/mcp/{provider}/authorize", token, OAuthRig.Json($$"""{"return_url":"{{ReturnUrl}}"}"""));
        Assert.Equal(HttpStatusCode.OK, authorize.StatusCode);
        var url = (await OAuthRig.ReadJsonAsync(authorize)).GetProperty("authorization_url").GetString()!;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var consent = await browser.GetAsync(url);
        Assert.True(consent.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found, $"{consent.StatusCode}: {await consent.Content.ReadAsStringAsync()}");
        using var landing = await host.Browser.GetAsync(consent.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        var outcome = OAuthBrowser.Query(landing.Headers.Location!);
        Assert.True(outcome["status"] == "connected", landing.Headers.Location!.ToString());
        using var complete = await host.SendAsync(HttpMethod.Post, $"/api/mcp/{provider}/complete", token, OAuthRig.Json($$"""{"code":"{{outcome["completion"]}}"}"""));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        return await OAuthRig.ReadJsonAsync(complete);
    }

    private sealed record Dialect(
        string Provider,
        Uri AuthorizeUrl,
        Uri TokenUrl,
        string RevokeUrl,
        Uri BaseUrl,
        string Tool,
        Action<string, string, Uri> AddClient,
        Action ExpireAccessTokens,
        Action RevokeGrant,
        Func<(int Refreshes, int Reused, int Revocations)> Counters,
        IReadOnlyDictionary<string, string> Metadata);
}
