using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Tests.Integration.Startup;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Where the rig's providers are defined: both ways a deployment can add a provider without code.</summary>
public enum ProviderDefinitionSource
{
    /// <summary>A catalog file each, in the folder named by <c>Providers:CatalogPath</c>.</summary>
    CatalogFile,

    /// <summary>One app setting each, <c>Providers:{id}:Definition</c>, holding the catalog entry as JSON.</summary>
    AppSetting,
}

/// <summary>The knobs of the rig's generic provider (its catalog entry and its client at the server).</summary>
public sealed record GenericProviderOptions
{
    /// <summary><c>auth.oauth.refreshMarginSeconds</c>: refresh when less than this is left on the access token.</summary>
    public int RefreshMarginSeconds { get; init; }

    /// <summary>The revocation URL of the catalog entry (rfc7009); null means the entry has no revocation at all.</summary>
    public Func<OAuthServer, Uri?> Revocation { get; init; } = server => server.RevocationEndpoint;

    /// <summary>False: the server neither rotates our refresh token nor returns one when refreshing.</summary>
    public bool RotateRefreshTokens { get; init; } = true;

    /// <summary><c>auth.oauth.refreshTokenIdleDays</c>: an unused refresh token lapses after this many days; none when null.</summary>
    public int? RefreshTokenIdleDays { get; init; }

    public ProviderDefinitionSource DefinedBy { get; init; } = ProviderDefinitionSource.CatalogFile;
}

/// <summary>A LocalHost with a generic OAuth 2.0 provider defined purely by configuration (a catalog file in
/// <c>Providers:CatalogPath</c> or one <c>Providers:generic:Definition</c> setting, plus client settings), backed by
/// the real authorization server (<see cref="OAuthServer"/>).</summary>
/// <remarks>The provider's one tool, <c>generic_whoami</c>, calls the server's userinfo endpoint (<c>/me</c>), which
/// accepts only live access tokens: a tool call proves the token works at the provider. Beside it, defined the same
/// way, <c>generic-key</c> connects only by API key.</remarks>
public sealed class OAuthRig : IAsyncDisposable
{
    public const string ProviderId = "generic";
    public const string ApiKeyProviderId = "generic-key";
    public const string Tool = "generic_whoami";
    public const string ReturnUrl = "https://chat.example/connections/done";

    private readonly TempCatalog? catalog;

    private OAuthRig(OAuthServer server, TestHost host, OAuthClient client, TempCatalog? catalog, IReadOnlyDictionary<string, string?> settings)
    {
        Server = server;
        Host = host;
        Client = client;
        this.catalog = catalog;
        Settings = settings;
    }

    public OAuthServer Server { get; }

    public TestHost Host { get; }

    public OAuthClient Client { get; }

    /// <summary>The provider settings the host was started with, for other hosts of the same deployment.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public OAuthBrowser Browser { get; } = new();

    public static async Task<OAuthRig> StartAsync(
        OAuthServerOptions? options = null, Action<IDictionary<string, string?>>? configure = null, GenericProviderOptions? provider = null)
    {
        provider ??= new GenericProviderOptions();
        var port = FreePort();
        var callback = new Uri($"http://127.0.0.1:{port}/api/oauth/callback");
        var client = new OAuthClient(
            "mcpfunctions-" + Guid.NewGuid().ToString("N")[..8], "secret-" + Guid.NewGuid().ToString("N"), callback,
            RotateRefreshTokens: provider.RotateRefreshTokens);
        var server = await OAuthServer.StartAsync(options ?? new OAuthServerOptions(), client);
        var settings = new Dictionary<string, string?>
        {
            [$"Providers:{ProviderId}:ClientId"] = client.ClientId,
            [$"Providers:{ProviderId}:ClientSecret"] = client.ClientSecret,
            ["OAuth:CallbackUrl"] = callback.ToString(),
            ["OAuth:ReturnUrlAllowlist:0"] = ReturnUrl,
            ["OAuth:DefaultReturnUrl"] = ReturnUrl,
        };
        TempCatalog? catalog = null;
        if (provider.DefinedBy == ProviderDefinitionSource.CatalogFile)
        {
            catalog = new TempCatalog(
                ("generic.json", CatalogJson(server, provider, includeId: true)),
                ("generic-key.json", ApiKeyCatalogJson(server)));
            settings["Providers:CatalogPath"] = catalog.Path;
        }
        else
        {
            // The entry may leave its id out: the setting's name says it.
            settings[$"Providers:{ProviderId}:Definition"] = CatalogJson(server, provider, includeId: false);
            settings[$"Providers:{ApiKeyProviderId}:Definition"] = ApiKeyCatalogJson(server);
        }

        configure?.Invoke(settings);
        try
        {
            var host = await TestHost.StartAsync(s => { foreach (var (k, v) in settings) { s[k] = v; } }, port: port);
            return new OAuthRig(server, host, client, catalog, settings);
        }
        catch
        {
            await server.DisposeAsync();
            catalog?.Dispose();
            throw;
        }
    }

    /// <summary><c>POST /api/mcp/generic/authorize</c>; returns the response for the caller to inspect.</summary>
    public Task<HttpResponseMessage> AuthorizeAsync(string token, string bodyJson) =>
        Host.SendAsync(HttpMethod.Post, $"/api/mcp/{ProviderId}/authorize", token, Json(bodyJson));

    /// <summary>Authorize, then log in and consent at the provider; returns the provider's redirect to our callback.</summary>
    public async Task<Uri> ApproveAsync(string token, string account = ConnectionKey.DefaultAccount)
    {
        using var response = await AuthorizeAsync(token, $$"""{"return_url":"{{ReturnUrl}}","account":"{{account}}"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var authorizationUrl = (await ReadJsonAsync(response)).GetProperty("authorization_url").GetString()!;
        return await Browser.ApproveAsync(new Uri(authorizationUrl));
    }

    /// <summary>The browser lands on our callback; returns where we redirect it (the return URL with the outcome).</summary>
    public async Task<Uri> CallbackAsync(Uri providerRedirect)
    {
        using var response = await Host.Browser.GetAsync(providerRedirect.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    /// <summary>The whole path: authorize → provider login/consent → callback → completion. Returns the connection view.</summary>
    public async Task<JsonElement> ConnectAsync(string token, string account = ConnectionKey.DefaultAccount)
    {
        var back = await CallbackAsync(await ApproveAsync(token, account));
        var outcome = OAuthBrowser.Query(back);
        Assert.Equal("connected", outcome["status"]);
        using var completed = await CompleteAsync(token, outcome["completion"]);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        return await ReadJsonAsync(completed);
    }

    public Task<HttpResponseMessage> CompleteAsync(string token, string code) =>
        Host.SendAsync(HttpMethod.Post, $"/api/mcp/{ProviderId}/complete", token, Json($$"""{"code":"{{code}}"}"""));

    /// <summary>The stored connection, read past the cache, with its decrypted credential (tests only).</summary>
    public async Task<(Connection Connection, Credential Credential)> StoredAsync(string tenant, string user, string account = ConnectionKey.DefaultAccount)
    {
        var key = new ConnectionKey(tenant, user, ProviderId, account);
        var stored = await Host.Services.GetRequiredService<IConnectionStore>().ReadLatestAsync(key, CancellationToken.None)
            ?? throw new InvalidOperationException("not connected");
        var credential = await Host.Services.GetRequiredService<CredentialProtector>().UnprotectAsync(stored.Connection.Credential, key, CancellationToken.None);
        return (stored.Connection, credential);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await Host.DisposeAsync();
        await Server.DisposeAsync();
        catalog?.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string CatalogJson(OAuthServer server, GenericProviderOptions provider, bool includeId)
    {
        var id = includeId ? $"\"id\": \"{ProviderId}\"," : "";
        var revocation = provider.Revocation(server) is { } url ? $"\"revocation\": {{ \"url\": \"{url}\", \"style\": \"rfc7009\" }}," : "";
        return $$"""
            {
              {{id}}
              "displayName": "Generic OAuth",
              "auth": {
                "type": "oauth2",
                "oauth": {
                  "authorizeUrl": "{{server.AuthorizeEndpoint}}",
                  "tokenUrl": "{{server.TokenEndpoint}}",
                  {{revocation}}
                  "clientAuth": "client_secret_basic",
                  "scopes": ["openid", "offline_access", "read"],
                  "refreshMarginSeconds": {{provider.RefreshMarginSeconds}},
                  "refreshTokenIdleDays": {{(provider.RefreshTokenIdleDays is { } idle ? idle.ToString(CultureInfo.InvariantCulture) : "null")}}
                }
              },
              "api": { "baseUrl": "{{server.Issuer}}", "authHeader": { "name": "Authorization", "value": "Bearer {token}" } },
              "tools": [{
                "name": "{{Tool}}",
                "description": "Who the connected user is at the generic provider (OpenID userinfo).",
                "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
                "annotations": { "readOnlyHint": true },
                "request": { "method": "GET", "path": "/me" }
              }]
            }
            """;
    }

    private static string ApiKeyCatalogJson(OAuthServer server) => $$"""
        {
          "id": "{{ApiKeyProviderId}}",
          "displayName": "Generic API key",
          "auth": { "type": "api_key" },
          "api": { "baseUrl": "{{server.Issuer}}", "authHeader": { "name": "Authorization", "value": "Bearer {token}" } },
          "tools": []
        }
        """;
}
