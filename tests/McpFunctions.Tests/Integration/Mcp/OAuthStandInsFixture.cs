using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.StandIns.GitHub;
using McpFunctions.StandIns.Qlik;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.StandIns;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>
/// One LocalHost whose Qlik, GitHub and Notion base URLs point at the stand-ins, shared by a collection. Tests get
/// tokens from a stand-in's own token endpoint (a plain HTTP client playing browser and token client) and seed the
/// connection straight into the host's store, so the tools are exercised without the host's OAuth flow.
/// </summary>
public sealed class OAuthStandInsFixture : IAsyncLifetime
{
    /// <summary>The test's own OAuth client at every stand-in (not the host's: the host never runs the flow here).</summary>
    public const string ClientId = "standin-test-client";
    public const string ClientSecret = "standin-test-secret";
    public static readonly Uri Callback = new("https://tests.example/callback");

    private readonly OAuthDance dance = new();
    private TestHost? host;
    private QlikStandIn? qlik;
    private GitHubStandIn? github;

    public TestHost Host => host ?? throw new InvalidOperationException("The host has not started.");

    public QlikStandIn Qlik => qlik ?? throw new InvalidOperationException("Not started.");

    public GitHubStandIn GitHub => github ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        qlik = await QlikStandIn.StartAsync();
        github = await GitHubStandIn.StartAsync();
        qlik.AddClient(ClientId, ClientSecret, Callback);
        github.AddClient(ClientId, ClientSecret, Callback);
        host = await TestHost.StartAsync(settings =>
        {
            settings["Providers:qlik:BaseUrl"] = qlik.BaseUrl.AbsoluteUri;
            settings["Providers:github:BaseUrl"] = github.BaseUrl.AbsoluteUri;
        });
        host.Notion.AddOAuthClient(ClientId, ClientSecret, "Acme Assistant", Callback);
    }

    public async Task DisposeAsync()
    {
        dance.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        if (qlik is not null)
        {
            await qlik.DisposeAsync();
        }

        if (github is not null)
        {
            await github.DisposeAsync();
        }
    }

    /// <summary>Authorizes as <paramref name="qlikUserId"/> at the Qlik stand-in and exchanges the code (form body, PKCE, client_secret_post).</summary>
    public async Task<JsonElement> QlikTokensAsync(string qlikUserId)
    {
        Qlik.SignedInUser = qlikUserId;
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(Qlik.AuthorizeUrl, ("client_id", ClientId), ("redirect_uri", Callback.AbsoluteUri), ("response_type", "code"),
            ("scope", "user_default offline_access"), ("state", "s"), ("code_challenge", challenge), ("code_challenge_method", "S256"));
        using var response = await dance.PostFormAsync(Qlik.TokenUrl,
            [("grant_type", "authorization_code"), ("client_id", ClientId), ("client_secret", ClientSecret), ("code", code), ("redirect_uri", Callback.AbsoluteUri), ("code_verifier", verifier)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthDance.JsonAsync(response);
    }

    /// <summary>Authorizes as <paramref name="githubUserId"/> at the GitHub stand-in and exchanges the code (JSON answer).</summary>
    public async Task<JsonElement> GitHubTokensAsync(long githubUserId)
    {
        GitHub.SignedInUser = githubUserId;
        var (verifier, challenge) = OAuthDance.NewPkce();
        var code = await dance.CodeAsync(GitHub.AuthorizeUrl, ("client_id", ClientId), ("redirect_uri", Callback.AbsoluteUri), ("state", "s"),
            ("code_challenge", challenge), ("code_challenge_method", "S256"));
        using var response = await dance.PostFormAsync(GitHub.TokenUrl,
            [("client_id", ClientId), ("client_secret", ClientSecret), ("code", code), ("redirect_uri", Callback.AbsoluteUri), ("code_verifier", verifier)],
            r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json")));
        var tokens = await OAuthDance.JsonAsync(response);
        Assert.True(tokens.TryGetProperty("access_token", out _), tokens.GetRawText());
        return tokens;
    }

    /// <summary>Authorizes as a Notion person (from <c>AddOAuthUser</c>) at the host's Notion stand-in (JSON body, HTTP Basic).</summary>
    public async Task<JsonElement> NotionTokensAsync(string notionPersonId)
    {
        Host.Notion.SignedInUser = notionPersonId;
        var code = await dance.CodeAsync(Host.Notion.OAuthAuthorizeUrl, ("client_id", ClientId), ("response_type", "code"), ("owner", "user"),
            ("redirect_uri", Callback.AbsoluteUri), ("state", "s"));
        using var response = await dance.PostJsonAsync(Host.Notion.OAuthTokenUrl,
            $$"""{"grant_type":"authorization_code","code":"{{code}}","redirect_uri":"{{Callback.AbsoluteUri}}"}""",
            r => r.Headers.Authorization = OAuthDance.Basic(ClientId, ClientSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthDance.JsonAsync(response);
    }

    /// <summary>
    /// Stores an active OAuth connection for a fresh user of tenant <c>acme</c> holding these tokens, sealed by the host's
    /// own <see cref="CredentialProtector"/>, and returns that user's bearer token for <c>/api/mcp</c>.
    /// </summary>
    public async Task<string> SeedConnectionAsync(string provider, JsonElement tokens, IReadOnlyDictionary<string, string>? metadata = null, string account = ConnectionKey.DefaultAccount)
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var key = new ConnectionKey("acme", user, provider, account);
        var credential = new Credential(
            AccessToken: tokens.GetProperty("access_token").GetString(),
            RefreshToken: tokens.TryGetProperty("refresh_token", out var refresh) ? refresh.GetString() : null,
            TokenType: "bearer");
        var sealedCredential = await Host.Services.GetProtector().ProtectAsync(credential, key, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var expiresAt = tokens.TryGetProperty("expires_in", out var expiresIn) ? now.AddSeconds(expiresIn.GetInt64()) : (DateTimeOffset?)null;
        var scopes = tokens.TryGetProperty("scope", out var scope) ? scope.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var connection = new Connection(key, AuthType.OAuth2, ConnectionStatus.Active, sealedCredential, scopes, metadata ?? new Dictionary<string, string>(), now, ExpiresAt: expiresAt);
        Assert.NotNull(await Host.Services.GetStore().TryCreateAsync(connection, CancellationToken.None));
        return TestTokens.For(user, "acme");
    }
}

[CollectionDefinition(Name)]
public sealed class OAuthStandInsCollection : ICollectionFixture<OAuthStandInsFixture>
{
    public const string Name = "OAuthStandIns";
}
