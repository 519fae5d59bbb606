using System.Globalization;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace McpFunctions.Tests.Fixtures;

/// <summary>How a client authenticates at the token, revocation and introspection endpoints.</summary>
public enum OAuthClientAuthentication
{
    /// <summary>HTTP Basic with the form-urlencoded client id and secret (RFC 6749 §2.3.1).</summary>
    ClientSecretBasic,

    /// <summary><c>client_id</c> and <c>client_secret</c> in the form body.</summary>
    ClientSecretPost,
}

/// <summary>A confidential client registered at the <see cref="OAuthServer"/> (grants: authorization_code, refresh_token).</summary>
/// <param name="RotateRefreshTokens">False: its refresh token survives refreshes and refresh responses carry no
/// <c>refresh_token</c> (RFC 6749 §6 allows it; the client must keep the one it has).</param>
public sealed record OAuthClient(
    string ClientId,
    string ClientSecret,
    Uri RedirectUri,
    OAuthClientAuthentication Authentication = OAuthClientAuthentication.ClientSecretBasic,
    bool RotateRefreshTokens = true)
{
    public string TokenEndpointAuthMethod => Authentication switch
    {
        OAuthClientAuthentication.ClientSecretBasic => "client_secret_basic",
        OAuthClientAuthentication.ClientSecretPost => "client_secret_post",
        _ => throw new ArgumentOutOfRangeException(nameof(Authentication), Authentication, null),
    };
}

/// <summary>Server-wide settings of an <see cref="OAuthServer"/>.</summary>
public sealed record OAuthServerOptions
{
    /// <summary>The <c>expires_in</c> of access tokens (whole seconds, at least 1).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(14);

    public TimeSpan AuthorizationCodeLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Scopes the server knows besides <c>openid</c> and <c>offline_access</c> (which it always knows).</summary>
    public IReadOnlyList<string> Scopes { get; init; } = ["read", "write"];

    /// <summary>Hold each client to its registered method (oidc-provider alone accepts basic and post alike).</summary>
    public bool EnforceClientAuthMethod { get; init; } = true;

    /// <summary>Token responses carry <c>refresh_token_expires_in</c> (<see cref="RefreshTokenLifetime"/>), as GitHub's do.</summary>
    public bool ReportRefreshTokenExpiry { get; init; }
}

/// <summary>The counters of <c>GET /_test/stats</c>: what the provider saw since start or the last reset.</summary>
public sealed record OAuthStats(
    int AuthorizationCodeGrants,
    int AuthorizationCodeGrantErrors,
    int RefreshTokenGrants,
    int RefreshTokenGrantErrors,
    int RefreshTokenReuses,
    int RefreshTokensRotated,
    int GrantErrors,
    int GrantsRevoked,
    int RevocationRequests,
    int Revocations,
    int Authorizations,
    int AuthorizationErrors,
    int FaultsServed,
    OAuthStatsError? LastError);

/// <summary>The last failure the provider reported (<c>event</c> is e.g. <c>grant.error</c>, <c>authorization.error</c>).</summary>
public sealed record OAuthStatsError(string Event, string Error, string? Description, string? Detail, string? GrantType);

/// <summary>A token-endpoint answer: the status and the JSON body.</summary>
public sealed record OAuthTokenResponse(HttpStatusCode Status, JsonElement Body)
{
    public bool IsSuccess => Status == HttpStatusCode.OK;

    public string? AccessToken => Text("access_token");

    public string? RefreshToken => Text("refresh_token");

    public string? TokenType => Text("token_type");

    public string? Scope => Text("scope");

    public string? Error => Text("error");

    public string? ErrorDescription => Text("error_description");

    public int? ExpiresIn => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("expires_in", out var value) && value.ValueKind == JsonValueKind.Number
        ? value.GetInt32()
        : null;

    public override string ToString() => $"{(int)Status} {Body.GetRawText()}";

    private string? Text(string name) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>A real OAuth 2.0 authorization server on loopback: <c>tools/localstack/oauth-server.mjs</c> (oidc-provider 8)
/// in a node child process, one per instance.</summary>
/// <remarks>Authorization code + PKCE (S256, required), refresh tokens for <c>offline_access</c> with rotation
/// (reuse of a rotated refresh token revokes the whole grant; per client it can be off, see <see cref="OAuthClient"/>), RFC 7009 revocation, RFC 7662 introspection,
/// opaque access tokens. The login/consent step is driven by <see cref="OAuthBrowser"/>. State lives in the
/// process: disposing the server forgets every token.</remarks>
public sealed class OAuthServer : IAsyncDisposable
{
    // Generous: node loads oidc-provider from disk, which takes tens of seconds while a parallel test run loads both cores.
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private const string ReadyPrefix = "oauth ready on ";

    private readonly Process process;
    private readonly StringBuilder stderr;
    private readonly HttpClient http = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

    private OAuthServer(Process process, StringBuilder stderr, IReadOnlyList<OAuthClient> clients)
    {
        this.process = process;
        this.stderr = stderr;
        Clients = clients;
    }

    public IReadOnlyList<OAuthClient> Clients { get; }

    /// <summary>The node process serving it (for per-process CPU accounting in the bench).</summary>
    public int ProcessId => process.Id;

    /// <summary>The issuer as a URI (<c>http://127.0.0.1:41234/</c>); relative URIs resolve against it.</summary>
    public Uri Issuer { get; private set; } = null!;

    /// <summary>The issuer exactly as the provider spells it (<c>http://127.0.0.1:41234</c>, no trailing slash): the
    /// <c>iss</c> of the discovery document and of authorization responses (RFC 9207).</summary>
    public string IssuerIdentifier { get; private set; } = null!;

    public Uri AuthorizeEndpoint { get; private set; } = null!;

    public Uri TokenEndpoint { get; private set; } = null!;

    public Uri RevocationEndpoint { get; private set; } = null!;

    public Uri IntrospectionEndpoint { get; private set; } = null!;

    /// <summary>The process's stderr so far (oidc-provider warnings, server errors).</summary>
    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public static Task<OAuthServer> StartAsync(params OAuthClient[] clients) => StartAsync(new OAuthServerOptions(), clients);

    /// <summary>Starts <c>node tools/localstack/oauth-server.mjs 0 CONFIG_JSON</c>, waits for its ready line and reads its discovery document.</summary>
    /// <remarks>A server that never says it is ready (seen twice under a fully loaded test run, with nothing on stderr) is
    /// killed and started once more.</remarks>
    public static async Task<OAuthServer> StartAsync(OAuthServerOptions options, params OAuthClient[] clients)
    {
        try
        {
            return await StartOnceAsync(options, clients);
        }
        catch (NotReadyException)
        {
            return await StartOnceAsync(options, clients);
        }
    }

    private static async Task<OAuthServer> StartOnceAsync(OAuthServerOptions options, OAuthClient[] clients)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (clients.Length == 0)
        {
            throw new ArgumentException("Register at least one client.", nameof(clients));
        }

        var directory = Path.Combine(Repository.Root, "tools", "localstack");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")))
        {
            throw new InvalidOperationException(
                $"{Path.Combine(directory, "node_modules", "oidc-provider")} is missing: run ./test.sh (stack_install runs npm ci), or `cd tools/localstack && npm ci`.");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(directory, "oauth-server.mjs"));
        start.ArgumentList.Add("0");
        start.ArgumentList.Add(Config(options, clients).ToJsonString());
        start.Environment["NO_COLOR"] = "1";
        start.Environment["NODE_NO_WARNINGS"] = "1";

        var stderr = new StringBuilder();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                ready.TrySetResult(line[ReadyPrefix.Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }
            }
        };

        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException("Could not start node.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new OAuthServer(process, stderr, clients);
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(ready.Task, exited);
            if (first != ready.Task)
            {
                if (exited.IsCanceled)
                {
                    throw new NotReadyException($"oauth-server.mjs did not print its ready line within {StartTimeout.TotalSeconds:0} s. stderr:\n{server.Stderr}");
                }

                throw new InvalidOperationException($"oauth-server.mjs exited with code {process.ExitCode} before it was ready. stderr:\n{server.Stderr}");
            }

            await server.DiscoverAsync(new Uri(await ready.Task));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The authorization request URL for the code flow with PKCE (<paramref name="codeChallenge"/> is omitted when null).</summary>
    public Uri AuthorizeUrl(
        OAuthClient client,
        string scope,
        string state,
        string? codeChallenge,
        string codeChallengeMethod = "S256",
        Uri? redirectUri = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"),
            new("client_id", client.ClientId),
            new("redirect_uri", (redirectUri ?? client.RedirectUri).ToString()),
            new("scope", scope),
            new("state", state),
        };
        if (codeChallenge is not null)
        {
            query.Add(new("code_challenge", codeChallenge));
            query.Add(new("code_challenge_method", codeChallengeMethod));
        }

        var text = string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return new UriBuilder(AuthorizeEndpoint) { Query = text }.Uri;
    }

    /// <summary>Exchanges an authorization code at the token endpoint.</summary>
    public Task<OAuthTokenResponse> ExchangeCodeAsync(OAuthClient client, string code, string? codeVerifier, Uri? redirectUri = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", (redirectUri ?? client.RedirectUri).ToString()),
        };
        if (codeVerifier is not null)
        {
            form.Add(new("code_verifier", codeVerifier));
        }

        return TokenAsync(client, form);
    }

    public Task<OAuthTokenResponse> RefreshAsync(OAuthClient client, string refreshToken) =>
        TokenAsync(client, [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)]);

    /// <summary>A token request authenticated as <paramref name="client"/>'s method says (override with <paramref name="authentication"/>).</summary>
    public async Task<OAuthTokenResponse> TokenAsync(
        OAuthClient client,
        IEnumerable<KeyValuePair<string, string>> form,
        OAuthClientAuthentication? authentication = null)
    {
        using var response = await SendAuthenticatedAsync(TokenEndpoint, client, form, authentication);
        var body = await response.Content.ReadAsStringAsync();
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(body);
            json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"The token endpoint answered {(int)response.StatusCode} without JSON: {body}");
        }

        return new OAuthTokenResponse(response.StatusCode, json);
    }

    /// <summary>RFC 7009 revocation; returns the status (200 also for unknown tokens, as the RFC says).</summary>
    public async Task<HttpStatusCode> RevokeAsync(OAuthClient client, string token, string? tokenTypeHint = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("token", token) };
        if (tokenTypeHint is not null)
        {
            form.Add(new("token_type_hint", tokenTypeHint));
        }

        using var response = await SendAuthenticatedAsync(RevocationEndpoint, client, form, null);
        return response.StatusCode;
    }

    /// <summary>RFC 7662 introspection: whether the provider still considers <paramref name="token"/> active.</summary>
    public async Task<bool> IsActiveAsync(OAuthClient client, string token)
    {
        using var response = await SendAuthenticatedAsync(IntrospectionEndpoint, client, [new("token", token)], null);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Introspection answered {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("active").GetBoolean();
    }

    /// <summary><c>POST /_test/mint</c>: <paramref name="count"/> refresh tokens for <paramref name="client"/>, each in its own
    /// grant for <paramref name="account"/>, without a browser (load tests need thousands). They refresh and rotate
    /// like tokens from the code flow; <c>offline_access</c> is always part of their scope.</summary>
    public async Task<IReadOnlyList<string>> MintRefreshTokensAsync(OAuthClient client, int count, string account = "bench-user", string scope = "offline_access")
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new JsonObject
        {
            ["client_id"] = client.ClientId,
            ["account"] = account,
            ["scope"] = scope,
            ["count"] = count,
        };
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(Issuer, "/_test/mint"), content);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"/_test/mint answered {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.GetProperty("refresh_tokens").EnumerateArray().Select(t => t.GetString()!)];
    }

    public async Task<OAuthStats> StatsAsync()
    {
        using var response = await http.GetAsync(new Uri(Issuer, "/_test/stats"));
        return await ReadStatsAsync(response);
    }

    /// <summary>The next <paramref name="count"/> requests to <paramref name="path"/> (e.g. <c>/token</c>) answer
    /// <paramref name="status"/> with <c>temporarily_unavailable</c> before the provider sees them.</summary>
    public async Task InjectFaultsAsync(string path, int status, int count, int? retryAfterSeconds = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("path", path), new("status", status.ToString(CultureInfo.InvariantCulture)), new("count", count.ToString(CultureInfo.InvariantCulture)) };
        if (retryAfterSeconds is { } seconds)
        {
            form.Add(new("retry_after", seconds.ToString(CultureInfo.InvariantCulture)));
        }

        using var response = await http.PostAsync(new Uri(Issuer, "_test/faults"), new FormUrlEncodedContent(form));
        response.EnsureSuccessStatusCode();
    }

    public async Task ResetStatsAsync()
    {
        using var response = await http.PostAsync(new Uri(Issuer, "/_test/reset"), null);
        await ReadStatsAsync(response);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // never started, or already gone
        }
        catch (OperationCanceledException)
        {
            // killed but not reaped in time: nothing more to do
        }
        finally
        {
            process.Dispose();
            http.Dispose();
        }
    }

    private static JsonObject Config(OAuthServerOptions options, IEnumerable<OAuthClient> clients)
    {
        // JsonArray(params JsonNode?[]): JsonArray.Add<T> would go through the (disabled) reflection serializer.
        var list = new JsonArray(clients.Select(client => (JsonNode?)new JsonObject
        {
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
            ["redirect_uris"] = new JsonArray(client.RedirectUri.ToString()),
            ["token_endpoint_auth_method"] = client.TokenEndpointAuthMethod,
            ["rotate_refresh_token"] = client.RotateRefreshTokens,
        }).ToArray());
        var scopes = new JsonArray(options.Scopes.Select(scope => (JsonNode?)scope).ToArray());

        return new JsonObject
        {
            ["clients"] = list,
            ["scopes"] = scopes,
            ["accessTokenTtl"] = Seconds(options.AccessTokenLifetime, nameof(options.AccessTokenLifetime)),
            ["refreshTokenTtl"] = Seconds(options.RefreshTokenLifetime, nameof(options.RefreshTokenLifetime)),
            ["authorizationCodeTtl"] = Seconds(options.AuthorizationCodeLifetime, nameof(options.AuthorizationCodeLifetime)),
            ["enforceClientAuthMethod"] = options.EnforceClientAuthMethod,
            ["refreshTokenExpiresIn"] = options.ReportRefreshTokenExpiry,
        };
    }

    private static int Seconds(TimeSpan lifetime, string name) =>
        lifetime >= TimeSpan.FromSeconds(1) && lifetime.Ticks % TimeSpan.TicksPerSecond == 0
            ? checked((int)lifetime.TotalSeconds)
            : throw new ArgumentOutOfRangeException(name, lifetime, "Whole seconds, at least one.");

    private async Task DiscoverAsync(Uri baseUrl)
    {
        using var response = await http.GetAsync(new Uri(baseUrl, "/.well-known/openid-configuration"));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The discovery document answered {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Uri Endpoint(string name) => new(root.GetProperty(name).GetString()
            ?? throw new InvalidOperationException($"The discovery document has no {name}: {body}"));
        IssuerIdentifier = root.GetProperty("issuer").GetString() ?? throw new InvalidOperationException($"No issuer: {body}");
        Issuer = Endpoint("issuer");
        AuthorizeEndpoint = Endpoint("authorization_endpoint");
        TokenEndpoint = Endpoint("token_endpoint");
        RevocationEndpoint = Endpoint("revocation_endpoint");
        IntrospectionEndpoint = Endpoint("introspection_endpoint");
    }

    private async Task<HttpResponseMessage> SendAuthenticatedAsync(
        Uri endpoint,
        OAuthClient client,
        IEnumerable<KeyValuePair<string, string>> form,
        OAuthClientAuthentication? authentication)
    {
        ArgumentNullException.ThrowIfNull(client);
        var fields = form.ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        switch (authentication ?? client.Authentication)
        {
            case OAuthClientAuthentication.ClientSecretBasic:
                // RFC 6749 §2.3.1: each part form-urlencoded before the Base64.
                var pair = $"{FormEncode(client.ClientId)}:{FormEncode(client.ClientSecret)}";
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                break;
            case OAuthClientAuthentication.ClientSecretPost:
                fields.Add(new("client_id", client.ClientId));
                fields.Add(new("client_secret", client.ClientSecret));
                break;
        }

        request.Content = new FormUrlEncodedContent(fields);
        return await http.SendAsync(request);
    }

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static async Task<OAuthStats> ReadStatsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"/_test/stats answered {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        int Count(string name) => root.GetProperty(name).GetInt32();
        OAuthStatsError? lastError = null;
        if (root.TryGetProperty("lastError", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            string? Text(string name) => error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            lastError = new OAuthStatsError(
                Text("event") ?? "",
                Text("error") ?? "",
                Text("error_description"),
                Text("error_detail"),
                Text("grant_type"));
        }

        return new OAuthStats(
            Count("authorizationCodeGrants"),
            Count("authorizationCodeGrantErrors"),
            Count("refreshTokenGrants"),
            Count("refreshTokenGrantErrors"),
            Count("refreshTokenReuses"),
            Count("refreshTokensRotated"),
            Count("grantErrors"),
            Count("grantsRevoked"),
            Count("revocationRequests"),
            Count("revocations"),
            Count("authorizations"),
            Count("authorizationErrors"),
            Count("faultsServed"),
            lastError);
    }


    private sealed class NotReadyException(string message) : InvalidOperationException(message);
}
