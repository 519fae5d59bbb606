using System.Globalization;
using System.Text.Json.Nodes;
using McpFunctions.StandIns.OAuth;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.Qlik;

/// <summary>
/// A local stand-in for one Qlik Cloud tenant (<c>https://{tenant}.{region}.qlikcloud.com</c>): its OAuth 2.0
/// authorization server (<c>/oauth/authorize</c>, <c>/oauth/token</c>, <c>/oauth/revoke</c>) and the REST endpoints
/// the catalog's tools call (<c>/api/v1/users/me</c>, <c>/api/v1/items</c>, <c>/api/v1/apps/{appId}</c>,
/// <c>/api/v1/spaces</c>), on <c>http://127.0.0.1:{random port}</c> with in-memory, thread-safe state.
/// </summary>
/// <remarks>
/// The authorize endpoint does not show a login or consent page: it approves at once as <see cref="SignedInUser"/>
/// (or refuses with <c>access_denied</c> when <see cref="DenyConsent"/> is set). Errors use Qlik's body
/// <c>{"errors":[{"title","code","status"}],"traceId"}</c>; a dead code or refresh token is a 401 with code
/// <c>OAUTH-5</c>, as Qlik answers.
/// </remarks>
public sealed class QlikStandIn : IAsyncDisposable
{
    /// <summary>Qlik Cloud's access tokens live six hours (their <c>exp</c> minus <c>iat</c> is 21600 seconds).</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromHours(6);

    private readonly QlikTenant _tenant;
    private readonly OAuthGrantBook _oauth;
    private readonly FaultQueue _tokenFaults = new();
    private readonly FaultQueue _apiFaults = new();
    private StandInServer _server = null!;
    private volatile string? _signedInUser;
    private volatile bool _denyConsent;

    private QlikStandIn(TimeProvider clock)
    {
        _tenant = new QlikTenant(clock);
        _oauth = new OAuthGrantBook(
            new OAuthGrantPolicy
            {
                AccessTokenLifetime = AccessTokenLifetime,
                AccessTokenPrefix = "eyJhbGciOiJFUzM4NCJ9.",
                AccessTokenRandomLength = 64,
                RefreshTokenPrefix = "eyJhbGciOiJFUzM4NCJ9.",
                RefreshTokenRandomLength = 96,
            },
            clock);
    }

    /// <summary>The tenant URL, e.g. <c>http://127.0.0.1:51234/</c>: set <c>Providers:qlik:BaseUrl</c> to it.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    public Uri AuthorizeUrl => new(BaseUrl, "oauth/authorize");

    public Uri TokenUrl => new(BaseUrl, "oauth/token");

    public Uri RevocationUrl => new(BaseUrl, "oauth/revoke");

    /// <summary>The tenant id every user and item of this stand-in carries.</summary>
    public string TenantId => _tenant.TenantId;

    /// <summary>Who approves authorization requests; <see cref="AddUser"/> sets it when it is still unset.</summary>
    public string? SignedInUser
    {
        get => _signedInUser;
        set => _signedInUser = value is null || _tenant.HasUser(value) ? value : throw new ArgumentException($"No user {value}.", nameof(value));
    }

    /// <summary>When set, the authorize endpoint redirects back with <c>error=access_denied</c> (the user clicked "Deny").</summary>
    public bool DenyConsent
    {
        get => _denyConsent;
        set => _denyConsent = value;
    }

    /// <summary>Authorization codes exchanged successfully.</summary>
    public int CodeGrants => _oauth.CodeGrants;

    /// <summary>Refresh tokens exchanged successfully (each one rotates: the old refresh token dies).</summary>
    public int RefreshGrants => _oauth.RefreshGrants;

    /// <summary>Attempts to use a refresh token that had already been used: a client that refreshes correctly keeps this at 0.</summary>
    public int ReusedRefreshTokens => _oauth.ReusedRefreshTokens;

    /// <summary>Successful calls to <c>/oauth/revoke</c> for a token this tenant issued.</summary>
    public int Revocations => _oauth.Revocations;

    public TimeSpan ResponseDelay
    {
        get => _server.ResponseDelay;
        set => _server.ResponseDelay = value;
    }

    public IReadOnlyList<StandInRequest> Requests => _server.Requests;

    public int RequestCount => _server.RequestCount;

    /// <summary>Starts a stand-in on a free loopback port; <paramref name="clock"/> drives token and code expiry.</summary>
    public static async Task<QlikStandIn> StartAsync(TimeProvider? clock = null, CancellationToken ct = default)
    {
        var standIn = new QlikStandIn(clock ?? TimeProvider.System);
        standIn._server = await StandInServer.StartAsync("Qlik Cloud", standIn.HandleAsync, clock ?? TimeProvider.System, ct);
        return standIn;
    }

    /// <summary>Registers an OAuth client (Qlik: Administration → OAuth → Web, confidential) with its exact redirect URIs.</summary>
    public OAuthClientRegistration AddClient(string clientId, string clientSecret, params Uri[] redirectUris) =>
        _oauth.AddClient(clientId, clientSecret, redirectUris, "McpFunctions");

    /// <summary>Adds a tenant user and returns their id; the first user added becomes <see cref="SignedInUser"/>.</summary>
    public string AddUser(string name, string email)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var id = _tenant.AddUser(name, email);
        Interlocked.CompareExchange(ref _signedInUser, id, null);
        return id;
    }

    /// <summary>Adds a space (<c>shared</c>, <c>managed</c> or <c>data</c>) visible to its owner and members; returns its id.</summary>
    public string AddSpace(string name, string ownerUserId, string type = "shared", params string[] memberUserIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (type is not ("shared" or "managed" or "data"))
        {
            throw new ArgumentException("type must be shared, managed or data.", nameof(type));
        }

        return _tenant.AddSpace(name, type, ownerUserId, memberUserIds);
    }

    /// <summary>Adds an app (and its item) owned by a user, in a space or in the owner's personal space; returns the app id (a GUID).</summary>
    public string AddApp(string name, string ownerUserId, string? spaceId = null, string? description = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _tenant.AddApp(name, ownerUserId, spaceId, description);
    }

    /// <summary>Every access token issued so far stops working now (the API answers 401); refresh tokens still work.</summary>
    public void ExpireAllAccessTokens() => _oauth.ExpireAllAccessTokens();

    /// <summary>Revokes every grant the user gave (as deleting their OAuth tokens in Qlik does): their refresh tokens answer 401 <c>OAUTH-5</c>.</summary>
    public int RevokeGrant(string userId) => _oauth.RevokeSubject(userId);

    /// <summary>The next <paramref name="count"/> requests to <c>/oauth/token</c> or <c>/oauth/revoke</c> fail with <paramref name="status"/>.</summary>
    public void FailNextTokenRequests(int count, int status, TimeSpan? retryAfter = null) => _tokenFaults.Add(count, status, retryAfter);

    /// <summary>The next <paramref name="count"/> requests to <c>/api/v1/…</c> fail with <paramref name="status"/> (429 with <c>Retry-After</c>).</summary>
    public void FailNextApiRequests(int count, int status, TimeSpan? retryAfter = null) => _apiFaults.Add(count, status, retryAfter);

    public void ClearRequests() => _server.ClearRequests();

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    // ---------------------------------------------------------------- pipeline

    private async Task HandleAsync(HttpContext context, StandInRequest recorded, CancellationToken stopping)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        try
        {
            if (path == "/oauth/authorize" && request.Method == "GET")
            {
                await AuthorizeAsync(context);
            }
            else if (path is "/oauth/token" or "/oauth/revoke")
            {
                if (_tokenFaults.TakeNext() is { } fault)
                {
                    await WriteFaultAsync(context, fault);
                }
                else if (request.Method != "POST")
                {
                    await WriteErrorAsync(context, new QlikApiException(405, "HTTP-405", "Method Not Allowed"));
                }
                else if (path == "/oauth/token")
                {
                    await TokenAsync(context, recorded);
                }
                else
                {
                    await RevokeAsync(context, recorded);
                }
            }
            else if (path.StartsWith("/api/", StringComparison.Ordinal))
            {
                await ApiAsync(context, recorded);
            }
            else
            {
                await WriteErrorAsync(context, QlikApiException.NotFound("The requested resource does not exist."));
            }
        }
        catch (QlikApiException e)
        {
            await WriteErrorAsync(context, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteErrorAsync(context, new QlikApiException(500, "HTTP-500", "Internal Server Error"));
        }
    }

    private async Task ApiAsync(HttpContext context, StandInRequest recorded)
    {
        if (_apiFaults.TakeNext() is { } fault)
        {
            await WriteFaultAsync(context, fault);
            return;
        }

        const string scheme = "Bearer ";
        var authorization = recorded.Header("Authorization");
        var grant = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? _oauth.Authenticate(authorization[scheme.Length..].Trim())
            : null;
        if (grant is null)
        {
            throw new QlikApiException(401, "HTTP-401", "Unauthorized");
        }

        var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var body = _tenant.Handle(grant.Subject, context.Request.Method, segments, context.Request.Query, BaseUrl);
        await StandInServer.WriteJsonAsync(context, 200, body);
    }

    // ---------------------------------------------------------------- OAuth

    private async Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? Q(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        var client = _oauth.Client(Q("client_id"));
        var redirectUri = Q("redirect_uri");
        if (client is null || !client.AllowsRedirect(redirectUri))
        {
            // Qlik does not redirect to an unverified URI: it answers 400 itself.
            await WriteErrorAsync(context, new QlikApiException(400, "OAUTH-1", "Bad Request", "Invalid client_id or redirect_uri."));
            return;
        }

        var state = Q("state");
        string Fail(string error, string detail) => OAuthWire.WithQuery(
            redirectUri!, [("error", error), ("error_code", "OAUTH-1"), ("error_detail", detail), ("state", state)]);
        if (Q("response_type") != "code")
        {
            OAuthWire.Redirect(context, Fail("unsupported_response_type", "response_type must be code."));
            return;
        }

        if (state is null)
        {
            OAuthWire.Redirect(context, Fail("invalid_request", "state is required."));
            return;
        }

        var challenge = Q("code_challenge");
        if (Q("code_challenge_method") != "S256" || !Pkce.IsValidChallenge(challenge))
        {
            OAuthWire.Redirect(context, Fail("invalid_request", "code_challenge_method must be S256 and code_challenge is required."));
            return;
        }

        var requested = OAuthWire.Scopes(Q("scope"));
        if (requested.Any(s => s is not ("user_default" or "offline_access")))
        {
            OAuthWire.Redirect(context, Fail("invalid_scope", "The client is not allowed the requested scope."));
            return;
        }

        var user = SignedInUser;
        if (DenyConsent || user is null)
        {
            OAuthWire.Redirect(context, OAuthWire.WithQuery(redirectUri!, [("error", "access_denied"), ("state", state)]));
            return;
        }

        // The allow-listed scopes are granted even when none is asked; offline_access only when asked (Qlik's scope rules).
        var scopes = requested.Contains("offline_access") ? new[] { "user_default", "offline_access" } : ["user_default"];
        var code = _oauth.IssueCode(new OAuthConsent(client.ClientId, redirectUri, user, scopes, challenge, IssueRefreshToken: scopes.Length == 2));
        OAuthWire.Redirect(context, OAuthWire.WithQuery(redirectUri!, [("code", code), ("state", state)]));
    }

    private async Task TokenAsync(HttpContext context, StandInRequest recorded)
    {
        var parameters = ReadParameters(context.Request, recorded.Body);
        var (clientId, clientSecret) = ClientCredentials(parameters, recorded);
        OAuthOutcome outcome;
        switch (parameters.Get("grant_type"))
        {
            case "authorization_code":
                if (clientId is null || parameters.Get("code") is null || parameters.Get("redirect_uri") is null || parameters.Get("code_verifier") is null)
                {
                    throw Missing("client_id, code, redirect_uri and code_verifier are required for grant_type authorization_code.");
                }

                if (!Pkce.IsValidVerifier(parameters.Get("code_verifier")))
                {
                    throw Missing("code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'.");
                }

                outcome = _oauth.CheckClient(clientId, clientSecret) is { } badClient
                    ? badClient
                    : _oauth.RedeemCode(clientId, parameters.Get("code"), parameters.Get("redirect_uri"), parameters.Get("code_verifier"), requireRedirectUri: true);
                break;

            case "refresh_token":
                var refreshToken = parameters.Get("refresh_token") ?? throw Missing("refresh_token is required for grant_type refresh_token.");
                clientId ??= _oauth.ClientOfRefreshToken(refreshToken);
                outcome = _oauth.CheckClient(clientId, clientSecret) is { } refused ? refused : _oauth.Refresh(clientId, refreshToken);
                break;

            case null:
                throw Missing("grant_type is required.");

            default:
                throw new QlikApiException(400, "OAUTH-1", "Bad Request", "Unsupported grant_type.");
        }

        if (outcome.Issue is not { } issue)
        {
            // Qlik answers every dead code, token or client credential the same way.
            throw new QlikApiException(401, "OAUTH-5", "Unauthorized");
        }

        var body = new JsonObject
        {
            ["access_token"] = issue.AccessToken,
            ["token_type"] = "bearer",
            ["expires_in"] = (long)issue.ExpiresIn!.Value.TotalSeconds,
            ["expires_at"] = (issue.IssuedAt + issue.ExpiresIn.Value).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["scope"] = string.Join(' ', issue.Grant.Scopes),
        };
        if (issue.RefreshToken is not null)
        {
            body["refresh_token"] = issue.RefreshToken;
        }

        context.Response.Headers.CacheControl = "no-store";
        await StandInServer.WriteJsonAsync(context, 200, body);
    }

    private async Task RevokeAsync(HttpContext context, StandInRequest recorded)
    {
        var parameters = ReadParameters(context.Request, recorded.Body);
        var token = parameters.Get("token") ?? throw Missing("token is required.");
        var (clientId, clientSecret) = ClientCredentials(parameters, recorded);
        if (clientId is not null && _oauth.CheckClient(clientId, clientSecret) is not null)
        {
            throw new QlikApiException(401, "OAUTH-5", "Unauthorized");
        }

        // RFC 7009 §2.2: an unknown or already invalid token is not an error.
        _oauth.RevokeToken(token, clientId, wholeGrant: false);
        await StandInServer.WriteJsonAsync(context, 200, null);
    }

    /// <summary>Qlik's token and revoke endpoints take JSON or form bodies.</summary>
    private static Dictionary<string, string> ReadParameters(HttpRequest request, string body)
    {
        if (OAuthWire.IsForm(request))
        {
            return OAuthWire.Form(body);
        }

        if (OAuthWire.IsJson(request))
        {
            return OAuthWire.JsonObjectFields(body) ?? throw Missing("The body is not a JSON object.");
        }

        throw Missing("Content-Type must be application/x-www-form-urlencoded or application/json.");
    }

    /// <summary>Client credentials in the body (Qlik documents <c>client_id</c>/<c>client_secret</c>) or, as Qlik also accepts, HTTP Basic.</summary>
    private static (string? Id, string? Secret) ClientCredentials(Dictionary<string, string> parameters, StandInRequest recorded) =>
        OAuthWire.TryBasic(recorded.Header("Authorization"), out var id, out var secret)
            ? (id, secret)
            : (parameters.Get("client_id"), parameters.Get("client_secret"));

    private static QlikApiException Missing(string detail) => new(400, "OAUTH-1", "Bad Request", detail);

    private static Task WriteErrorAsync(HttpContext context, QlikApiException e) =>
        StandInServer.WriteJsonAsync(context, e.Status, e.Body());

    private static Task WriteFaultAsync(HttpContext context, InjectedFault fault)
    {
        var title = fault.Status switch
        {
            429 => "Too Many Requests",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Internal Server Error",
        };
        var status = fault.Status.ToString(CultureInfo.InvariantCulture);
        return StandInServer.WriteJsonAsync(context, fault.Status, QlikApiException.ErrorBody(fault.Status, "HTTP-" + status, title), fault.RetryAfter);
    }
}
