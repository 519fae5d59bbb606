using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using McpFunctions.StandIns.OAuth;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.GitHub;

/// <summary>
/// A local stand-in for GitHub as a GitHub App's user-to-server flow sees it: the web flow on <c>github.com</c>
/// (<c>/login/oauth/authorize</c>, <c>/login/oauth/access_token</c>) and the REST API on <c>api.github.com</c>
/// (<c>/user</c>, <c>/user/repos</c>, <c>/repos/{owner}/{repo}</c>, issues and comments, and
/// <c>DELETE /applications/{client_id}/grant</c>), both served from one <c>http://127.0.0.1:{random port}</c>.
/// </summary>
/// <remarks>
/// The token endpoint answers like GitHub: errors are HTTP 200 with an <c>error</c> field (<c>bad_verification_code</c>,
/// <c>bad_refresh_token</c>, <c>incorrect_client_credentials</c>, …), JSON only when the request says
/// <c>Accept: application/json</c> (else form-encoded). User tokens expire after 8 hours; refresh tokens after 6 months,
/// and rotate: using one ends it and the access token issued with it.
/// </remarks>
public sealed class GitHubStandIn : IAsyncDisposable
{
    /// <summary>GitHub's documented lifetime of an expiring user access token: 8 hours.</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(28800);

    /// <summary>GitHub's documented refresh token lifetime: 15897600 seconds (184 days).</summary>
    public static readonly TimeSpan RefreshTokenLifetime = TimeSpan.FromSeconds(15897600);

    /// <summary>The only REST API version the stand-in speaks (sent as <c>X-GitHub-Api-Version</c>).</summary>
    public const string ApiVersion = "2022-11-28";

    private const string ErrorDocs = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/";

    private readonly GitHubBackend _backend;
    private readonly OAuthGrantBook _oauth;
    private readonly bool _expiringTokens;
    private readonly FaultQueue _tokenFaults = new();
    private readonly FaultQueue _apiFaults = new();
    private StandInServer _server = null!;
    private long _signedInUser;
    private volatile bool _denyConsent;

    private GitHubStandIn(TimeProvider clock, bool expiringTokens)
    {
        _backend = new GitHubBackend(clock);
        _expiringTokens = expiringTokens;
        _oauth = new OAuthGrantBook(
            new OAuthGrantPolicy
            {
                AccessTokenLifetime = expiringTokens ? AccessTokenLifetime : null,
                RefreshTokenLifetime = RefreshTokenLifetime,
                RefreshEndsPreviousAccessTokens = true,
                AccessTokenPrefix = "ghu_",
                AccessTokenRandomLength = 36,
                RefreshTokenPrefix = "ghr_",
                RefreshTokenRandomLength = 76,
            },
            clock);
    }

    /// <summary>The API root standing in for <c>https://api.github.com/</c>: set <c>Providers:github:BaseUrl</c> to it.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>Stands in for <c>https://github.com/login/oauth/authorize</c>.</summary>
    public Uri AuthorizeUrl => new(BaseUrl, "login/oauth/authorize");

    /// <summary>Stands in for <c>https://github.com/login/oauth/access_token</c>.</summary>
    public Uri TokenUrl => new(BaseUrl, "login/oauth/access_token");

    /// <summary>Stands in for <c>https://api.github.com/applications/{client_id}/grant</c> (the placeholder kept).</summary>
    public string RevocationUrlTemplate => BaseUrl.AbsoluteUri + "applications/{client_id}/grant";

    /// <summary>Who approves authorization requests (a user id from <see cref="AddUser"/>); the first user added, unless set.</summary>
    public long? SignedInUser
    {
        get => Interlocked.Read(ref _signedInUser) is var id && id != 0 ? id : null;
        set => Interlocked.Exchange(ref _signedInUser, value is { } id && !_backend.HasUser(id) ? throw new ArgumentException($"No user {id}.", nameof(value)) : value ?? 0);
    }

    /// <summary>When set, the authorize endpoint redirects back with <c>error=access_denied</c>.</summary>
    public bool DenyConsent
    {
        get => _denyConsent;
        set => _denyConsent = value;
    }

    /// <summary>Requests per hour per user before GitHub answers 403 "API rate limit exceeded" (GitHub's default is 5000).</summary>
    public int RateLimit
    {
        get => _backend.RateLimit;
        set => _backend.RateLimit = value;
    }

    public int CodeGrants => _oauth.CodeGrants;

    public int RefreshGrants => _oauth.RefreshGrants;

    /// <summary>Attempts to use a refresh token that had already been used: a client that refreshes correctly keeps this at 0.</summary>
    public int ReusedRefreshTokens => _oauth.ReusedRefreshTokens;

    /// <summary>Successful <c>DELETE /applications/{client_id}/grant</c> calls.</summary>
    public int Revocations => _oauth.Revocations;

    public TimeSpan ResponseDelay
    {
        get => _server.ResponseDelay;
        set => _server.ResponseDelay = value;
    }

    public IReadOnlyList<StandInRequest> Requests => _server.Requests;

    public int RequestCount => _server.RequestCount;

    /// <summary>Starts a stand-in on a free loopback port.</summary>
    /// <param name="expiringUserTokens">False models an app that opted out of expiring user tokens: no <c>expires_in</c>, no refresh token.</param>
    public static async Task<GitHubStandIn> StartAsync(TimeProvider? clock = null, bool expiringUserTokens = true, CancellationToken ct = default)
    {
        var standIn = new GitHubStandIn(clock ?? TimeProvider.System, expiringUserTokens);
        standIn._server = await StandInServer.StartAsync("GitHub", standIn.HandleAsync, clock ?? TimeProvider.System, ct);
        return standIn;
    }

    /// <summary>Registers a GitHub App's OAuth credentials (its client ID, a client secret, and up to 10 callback URLs).</summary>
    public OAuthClientRegistration AddClient(string clientId, string clientSecret, params Uri[] callbackUrls) =>
        _oauth.AddClient(clientId, clientSecret, callbackUrls, "McpFunctions");

    /// <summary>Adds a user and returns their numeric id; the first user added becomes <see cref="SignedInUser"/>.</summary>
    public long AddUser(string login, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        var id = _backend.AddUser(login, name);
        Interlocked.CompareExchange(ref _signedInUser, id, 0);
        return id;
    }

    /// <summary>Adds a repository and returns its full name (<c>owner/name</c>).</summary>
    /// <param name="appInstalled">Whether the GitHub App is installed with access to it: user tokens see private repositories and write only there.</param>
    public string AddRepo(string ownerLogin, string name, bool isPrivate = false, bool appInstalled = true, string? description = null) =>
        _backend.AddRepo(ownerLogin, name, isPrivate, appInstalled, description);

    public void AddCollaborator(string fullName, string login) => _backend.AddCollaborator(fullName, login);

    /// <summary>Opens an issue and returns its number.</summary>
    public int AddIssue(string fullName, string title, string authorLogin, string? body = null, params string[] labels) =>
        _backend.AddIssue(fullName, title, body, authorLogin, labels);

    /// <summary>Every user access token issued so far stops working now; refresh tokens still work.</summary>
    public void ExpireAllAccessTokens() => _oauth.ExpireAllAccessTokens();

    /// <summary>Revokes the app's authorization for this user (as the user does under Settings → Applications).</summary>
    public int RevokeGrant(long userId) => _oauth.RevokeSubject(userId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The next <paramref name="count"/> requests to <c>/login/oauth/access_token</c> fail with <paramref name="status"/>.</summary>
    public void FailNextTokenRequests(int count, int status, TimeSpan? retryAfter = null) => _tokenFaults.Add(count, status, retryAfter);

    /// <summary>The next <paramref name="count"/> REST API requests (revocation included) fail with <paramref name="status"/>.</summary>
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
            if (path == "/login/oauth/authorize" && request.Method == "GET")
            {
                await AuthorizeAsync(context);
            }
            else if (path == "/login/oauth/access_token")
            {
                await TokenAsync(context, recorded);
            }
            else
            {
                await ApiAsync(context, recorded);
            }
        }
        catch (GitHubApiException e)
        {
            await StandInServer.WriteJsonAsync(context, e.Status, e.Body());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await StandInServer.WriteJsonAsync(context, 500, new GitHubApiException().Body());
        }
    }

    private async Task ApiAsync(HttpContext context, StandInRequest recorded)
    {
        if (_apiFaults.TakeNext() is { } fault)
        {
            var message = fault.Status == 429
                ? "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                : fault.Status == 503 ? "Service Unavailable" : "Server Error";
            await StandInServer.WriteJsonAsync(context, fault.Status, new GitHubApiException(fault.Status, message).Body(), fault.RetryAfter);
            return;
        }

        if (string.IsNullOrWhiteSpace(recorded.Header("User-Agent")))
        {
            // GitHub refuses API requests without a User-Agent, with a plain-text 403.
            await StandInServer.WriteTextAsync(context, 403, "text/plain; charset=utf-8",
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.\n");
            return;
        }

        if (recorded.Header("X-GitHub-Api-Version") is { } version && version != ApiVersion)
        {
            throw new GitHubApiException(400, $"API version '{version}' is not supported.");
        }

        var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["applications", var clientId, "grant"] && context.Request.Method == "DELETE")
        {
            DeleteGrant(context, recorded, clientId);
            return;
        }

        var userId = Authenticate(recorded.Header("Authorization"));
        var withinLimit = _backend.TakeRateLimit(userId, out var rateHeaders);
        foreach (var (name, value) in rateHeaders)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.Headers["x-github-api-version-selected"] = ApiVersion;
        if (!withinLimit)
        {
            throw new GitHubApiException(403, $"API rate limit exceeded for user ID {userId.ToString(CultureInfo.InvariantCulture)}.");
        }

        var reply = _backend.Handle(userId, context.Request.Method, segments, context.Request.Query, recorded.Body, BaseUrl);
        if (reply.Link is not null)
        {
            context.Response.Headers.Link = reply.Link;
        }

        if (reply.Location is not null)
        {
            context.Response.Headers.Location = reply.Location;
        }

        await StandInServer.WriteJsonAsync(context, reply.Status, reply.Body);
    }

    /// <summary>Accepts <c>Bearer</c> and the older <c>token</c> scheme, as GitHub does.</summary>
    private long Authenticate(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            throw new GitHubApiException(401, "Requires authentication");
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? string.Empty : authorization[..space];
        var grant = scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || scheme.Equals("token", StringComparison.OrdinalIgnoreCase)
            ? _oauth.Authenticate(authorization[(space + 1)..].Trim())
            : null;
        return grant is null ? throw GitHubApiException.BadCredentials() : long.Parse(grant.Subject, CultureInfo.InvariantCulture);
    }

    /// <summary><c>DELETE /applications/{client_id}/grant</c>: Basic auth with the app's credentials, JSON <c>{"access_token"}</c>, 204.</summary>
    private void DeleteGrant(HttpContext context, StandInRequest recorded, string clientId)
    {
        if (!OAuthWire.TryBasic(recorded.Header("Authorization"), out var id, out var secret) || id != clientId || _oauth.CheckClient(id, secret) is not null)
        {
            throw GitHubApiException.NotFound();
        }

        var fields = OAuthWire.JsonObjectFields(string.IsNullOrWhiteSpace(recorded.Body) ? "{}" : recorded.Body)
            ?? throw new GitHubApiException(400, "Problems parsing JSON");
        var token = fields.Get("access_token") ?? throw GitHubApiException.NotSupplied("access_token");
        if (!token.StartsWith("ghu_", StringComparison.Ordinal) || _oauth.RevokeToken(token, clientId, wholeGrant: true) is null)
        {
            throw GitHubApiException.NotFound();
        }

        context.Response.StatusCode = 204;
    }

    // ---------------------------------------------------------------- OAuth web flow

    private async Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? Q(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        var client = _oauth.Client(Q("client_id"));
        if (client is null)
        {
            await StandInServer.WriteTextAsync(context, 404, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><h1>404</h1><p>This is not the web page you are looking for.</p></body></html>");
            return;
        }

        var state = Q("state");
        var requestedRedirect = Q("redirect_uri");
        if (requestedRedirect is not null && !client.AllowsRedirect(requestedRedirect))
        {
            // GitHub sends the mismatch to the app's first registered callback URL, never to the unregistered one.
            OAuthWire.Redirect(context, OAuthWire.WithQuery(client.RedirectUris[0].AbsoluteUri,
            [
                ("error", "redirect_uri_mismatch"),
                ("error_description", "The redirect_uri MUST match the registered callback URL for this application."),
                ("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch"),
                ("state", state),
            ]));
            return;
        }

        var redirect = requestedRedirect ?? client.RedirectUris[0].AbsoluteUri;
        var challenge = Q("code_challenge");
        var method = Q("code_challenge_method");
        if ((challenge is not null || method is not null) && (method != "S256" || !Pkce.IsValidChallenge(challenge)))
        {
            OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect,
                [("error", "invalid_request"), ("error_description", "code_challenge must be a 43-character S256 challenge and code_challenge_method S256."), ("state", state)]));
            return;
        }

        if (DenyConsent || SignedInUser is not { } user)
        {
            OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect,
            [
                ("error", "access_denied"),
                ("error_description", "The user has denied your application access."),
                ("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"),
                ("state", state),
            ]));
            return;
        }

        var code = _oauth.IssueCode(new OAuthConsent(client.ClientId, requestedRedirect, user.ToString(CultureInfo.InvariantCulture), [], challenge, IssueRefreshToken: _expiringTokens));
        OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect, [("code", code), ("state", state)]));
    }

    private async Task TokenAsync(HttpContext context, StandInRequest recorded)
    {
        if (_tokenFaults.TakeNext() is { } fault)
        {
            context.Response.Headers.RetryAfter = fault.RetryAfter is { } wait ? OAuthWire.Seconds(wait) : default;
            await StandInServer.WriteTextAsync(context, fault.Status, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><h1>Unicorn!</h1><p>This page is taking too long to load.</p></body></html>");
            return;
        }

        if (context.Request.Method != "POST")
        {
            await StandInServer.WriteTextAsync(context, 404, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><h1>404</h1></body></html>");
            return;
        }

        var json = (recorded.Header("Accept") ?? string.Empty).Contains("application/json", StringComparison.OrdinalIgnoreCase);
        var parameters = Parameters(context.Request, recorded.Body);
        var clientId = parameters.Get("client_id");
        if (_oauth.CheckClient(clientId, parameters.Get("client_secret")) is not null)
        {
            await WriteTokenErrorAsync(context, json, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
            return;
        }

        OAuthOutcome outcome;
        switch (parameters.Get("grant_type"))
        {
            case null or "authorization_code":
                outcome = _oauth.RedeemCode(clientId!, parameters.Get("code"), parameters.Get("redirect_uri"), parameters.Get("code_verifier"), requireRedirectUri: false);
                if (outcome.Refusal == OAuthRefusal.RedirectUriMismatch)
                {
                    await WriteTokenErrorAsync(context, json, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
                    return;
                }

                if (outcome.Refusal is not null)
                {
                    await WriteTokenErrorAsync(context, json, "bad_verification_code", "The code passed is incorrect or expired.");
                    return;
                }

                break;

            case "refresh_token":
                outcome = _expiringTokens ? _oauth.Refresh(clientId, parameters.Get("refresh_token")) : OAuthRefusal.UnknownRefreshToken;
                if (outcome.Refusal is not null)
                {
                    await WriteTokenErrorAsync(context, json, "bad_refresh_token", "The refresh token passed is incorrect or expired.");
                    return;
                }

                break;

            default:
                await WriteTokenErrorAsync(context, json, "unsupported_grant_type", "The grant type is not supported.");
                return;
        }

        var issue = outcome.Issue!;
        var fields = new List<(string Name, JsonNode? Value)> { ("access_token", issue.AccessToken) };
        if (issue.ExpiresIn is { } expiresIn)
        {
            fields.Add(("expires_in", (long)expiresIn.TotalSeconds));
        }

        if (issue.RefreshToken is not null)
        {
            fields.Add(("refresh_token", issue.RefreshToken));
            fields.Add(("refresh_token_expires_in", (long)issue.RefreshExpiresIn!.Value.TotalSeconds));
        }

        fields.Add(("scope", string.Empty));
        fields.Add(("token_type", "bearer"));
        await WriteTokenAnswerAsync(context, json, fields);
    }

    /// <summary>GitHub reads the token request's parameters from the query string and from a form or JSON body.</summary>
    private static Dictionary<string, string> Parameters(HttpRequest request, string body)
    {
        var result = request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var fromBody = OAuthWire.IsJson(request) ? OAuthWire.JsonObjectFields(body) ?? [] : OAuthWire.IsForm(request) ? OAuthWire.Form(body) : [];
        foreach (var (name, value) in fromBody)
        {
            result[name] = value;
        }

        return result;
    }

    private static Task WriteTokenErrorAsync(HttpContext context, bool json, string error, string description) =>
        WriteTokenAnswerAsync(context, json, [("error", error), ("error_description", description), ("error_uri", ErrorDocs + "#" + error.Replace('_', '-'))]);

    /// <summary>Always HTTP 200, errors included: JSON for <c>Accept: application/json</c>, else <c>application/x-www-form-urlencoded</c>.</summary>
    private static Task WriteTokenAnswerAsync(HttpContext context, bool json, List<(string Name, JsonNode? Value)> fields)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (json)
        {
            var body = new JsonObject();
            foreach (var (name, value) in fields)
            {
                body[name] = value;
            }

            return StandInServer.WriteJsonAsync(context, 200, body);
        }

        var form = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? string.Empty;
            form.Append(form.Length == 0 ? string.Empty : "&").Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(text));
        }

        return StandInServer.WriteTextAsync(context, 200, "application/x-www-form-urlencoded; charset=utf-8", form.ToString());
    }
}
