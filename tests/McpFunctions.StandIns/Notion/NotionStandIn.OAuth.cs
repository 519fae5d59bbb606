using System.Text.Json.Nodes;
using McpFunctions.StandIns.OAuth;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.Notion;

/// <summary>
/// Notion's public-integration OAuth: <c>GET /v1/oauth/authorize</c> (auto-consent as <see cref="SignedInUser"/>),
/// <c>POST /v1/oauth/token</c> (JSON body, HTTP Basic client authentication; <c>authorization_code</c> and rotating
/// <c>refresh_token</c> grants; no <c>expires_in</c>) and <c>POST /v1/oauth/revoke</c>. Access tokens it issues work on
/// every API endpoint as the integration's bot in the consenting person's workspace.
/// </summary>
public sealed partial class NotionStandIn
{
    private readonly OAuthGrantBook _oauth = new(
        new OAuthGrantPolicy
        {
            AccessTokenPrefix = "ntn_",
            AccessTokenRandomLength = 46,
            RefreshTokenPrefix = "nrt_",
            RefreshTokenRandomLength = 46,
        },
        TimeProvider.System);

    private readonly FaultQueue _tokenFaults = new();
    private string? _signedInUser;
    private volatile bool _denyConsent;

    /// <summary>Stands in for <c>https://api.notion.com/v1/oauth/authorize</c>.</summary>
    public Uri OAuthAuthorizeUrl => new(BaseUrl, "v1/oauth/authorize");

    /// <summary>Stands in for <c>https://api.notion.com/v1/oauth/token</c>.</summary>
    public Uri OAuthTokenUrl => new(BaseUrl, "v1/oauth/token");

    /// <summary>Stands in for <c>https://api.notion.com/v1/oauth/revoke</c>.</summary>
    public Uri OAuthRevokeUrl => new(BaseUrl, "v1/oauth/revoke");

    /// <summary>The person (from <see cref="AddOAuthUser"/>) who approves authorization requests; the first one added, unless set.</summary>
    public string? SignedInUser
    {
        get => Volatile.Read(ref _signedInUser);
        set => Volatile.Write(ref _signedInUser, value is null || (Guid.TryParse(value, out var id) && _backend.HasPerson(id))
            ? value
            : throw new ArgumentException($"No person {value}.", nameof(value)));
    }

    /// <summary>When set, the authorize endpoint redirects back with <c>error=access_denied</c>.</summary>
    public bool DenyConsent
    {
        get => _denyConsent;
        set => _denyConsent = value;
    }

    public int CodeGrants => _oauth.CodeGrants;

    public int RefreshGrants => _oauth.RefreshGrants;

    /// <summary>Attempts to use a refresh token that had already been used: a client that refreshes correctly keeps this at 0.</summary>
    public int ReusedRefreshTokens => _oauth.ReusedRefreshTokens;

    /// <summary>Successful <c>POST /v1/oauth/revoke</c> calls for a token this stand-in issued.</summary>
    public int Revocations => _oauth.Revocations;

    /// <summary>Registers a public integration's OAuth client: its id, secret, exact redirect URIs and name (the bot's name).</summary>
    public OAuthClientRegistration AddOAuthClient(string clientId, string clientSecret, string integrationName, params Uri[] redirectUris) =>
        _oauth.AddClient(clientId, clientSecret, redirectUris, integrationName);

    /// <summary>Adds a person to a workspace (created on first use) who can authorize integrations; returns their user id.</summary>
    public string AddOAuthUser(string workspaceName, string name, string email)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspaceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var id = NotionJson.Id(_backend.AddPerson(workspaceName, name, email));
        Interlocked.CompareExchange(ref _signedInUser, id, null);
        return id;
    }

    /// <summary>Every OAuth access token issued so far stops working now (401 <c>unauthorized</c>); refresh tokens still work.</summary>
    public void ExpireAllAccessTokens() => _oauth.ExpireAllAccessTokens();

    /// <summary>Revokes every authorization this person gave (as removing the connection in Notion does): refresh answers <c>invalid_grant</c>.</summary>
    public int RevokeGrant(string userId) => _oauth.RevokeSubject(userId);

    /// <summary>The next <paramref name="count"/> requests to <c>/v1/oauth/token</c> or <c>/v1/oauth/revoke</c> fail with <paramref name="status"/>.</summary>
    public void FailNextTokenRequests(int count, int status, TimeSpan? retryAfter = null) => _tokenFaults.Add(count, status, retryAfter);

    private static bool IsOAuthRoute(PathString path) => path.StartsWithSegments("/v1/oauth", StringComparison.Ordinal);

    private Integration? AuthenticateOAuth(string token) => (_oauth.Authenticate(token)?.Tag as NotionOAuthInstall)?.Bot;

    private async Task HandleOAuthAsync(HttpContext context, string body)
    {
        var request = context.Request;
        var path = request.Path.Value;
        if (path == "/v1/oauth/authorize" && request.Method == "GET")
        {
            await AuthorizeAsync(context);
            return;
        }

        if (path is not ("/v1/oauth/token" or "/v1/oauth/revoke") || request.Method != "POST")
        {
            await WriteAsync(context, 400, NotionJson.Error(400, "invalid_request_url", "Invalid request URL."), null);
            return;
        }

        if (_tokenFaults.TakeNext() is { } fault)
        {
            var (code, message) = FaultError(fault.Status);
            await WriteAsync(context, fault.Status, NotionJson.Error(fault.Status, code, message), fault.RetryAfter);
            return;
        }

        if (!OAuthWire.TryBasic(request.Headers.Authorization.ToString(), out var clientId, out var secret) || _oauth.CheckClient(clientId, secret) is not null)
        {
            await WriteAsync(context, 401, OAuthError("invalid_client", "Client authentication failed: send the client id and secret with HTTP Basic."), null);
            return;
        }

        var fields = OAuthWire.IsJson(request) ? OAuthWire.JsonObjectFields(body) : null;
        if (fields is null)
        {
            await WriteAsync(context, 400, OAuthError("invalid_request", "The body must be a JSON object (Content-Type: application/json)."), null);
            return;
        }

        if (path == "/v1/oauth/revoke")
        {
            var token = fields.Get("token");
            if (token is null)
            {
                var missing = NotionApiException.Missing("body.token");
                await WriteAsync(context, missing.Status, NotionJson.Error(missing.Status, missing.Code, missing.Message), null);
                return;
            }

            // Revoking either token ends the whole authorization (the bot loses access).
            _oauth.RevokeToken(token, clientId, wholeGrant: true);
            await WriteAsync(context, 200, new JsonObject { ["request_id"] = NotionJson.Id(Guid.NewGuid()) }, null);
            return;
        }

        OAuthOutcome? outcome = fields.Get("grant_type") switch
        {
            "authorization_code" => (OAuthOutcome?)_oauth.RedeemCode(clientId, fields.Get("code"), fields.Get("redirect_uri"), codeVerifier: null, requireRedirectUri: true),
            "refresh_token" => _oauth.Refresh(clientId, fields.Get("refresh_token")),
            _ => null,
        };
        if (outcome is not { } result)
        {
            await WriteAsync(context, 400, OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token."), null);
            return;
        }

        if (result.Issue is not { } issue)
        {
            await WriteAsync(context, 400, OAuthError("invalid_grant", InvalidGrantText(result.Refusal!.Value)), null);
            return;
        }

        var install = (NotionOAuthInstall)issue.Grant.Tag!;
        var workspace = install.Bot.Workspace;
        context.Response.Headers.CacheControl = "no-store";
        await WriteAsync(context, 200, new JsonObject
        {
            ["access_token"] = issue.AccessToken,
            ["token_type"] = "bearer",
            ["refresh_token"] = issue.RefreshToken,
            ["bot_id"] = NotionJson.Id(install.Bot.Bot.Id),
            ["workspace_name"] = workspace.Name,
            ["workspace_icon"] = null,
            ["workspace_id"] = NotionJson.Id(workspace.Id),
            ["owner"] = install.OwnerJson(),
            ["duplicated_template_id"] = null,
            ["request_id"] = NotionJson.Id(Guid.NewGuid()),
        }, null);
    }

    private async Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? Q(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        var client = _oauth.Client(Q("client_id"));
        var requested = Q("redirect_uri");
        if (client is null)
        {
            await WriteAsync(context, 400, OAuthError("invalid_client", "Missing or invalid client_id."), null);
            return;
        }

        // Without redirect_uri Notion uses the only registered one; with several registered it must be named.
        var redirect = requested ?? (client.RedirectUris.Count == 1 ? client.RedirectUris[0].AbsoluteUri : null);
        if (redirect is null || !client.AllowsRedirect(redirect))
        {
            await WriteAsync(context, 400, OAuthError("invalid_request", "Missing or invalid redirect_uri."), null);
            return;
        }

        if (Q("owner") != "user")
        {
            await WriteAsync(context, 400, OAuthError("invalid_request", "owner must be user."), null);
            return;
        }

        var state = Q("state");
        if (Q("response_type") != "code")
        {
            OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect, [("error", "unsupported_response_type"), ("state", state)]));
            return;
        }

        if (DenyConsent || SignedInUser is not { } person || !Guid.TryParse(person, out var personId))
        {
            OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect, [("error", "access_denied"), ("state", state)]));
            return;
        }

        var install = _backend.InstallPublicIntegration(personId, client.Name);
        var code = _oauth.IssueCode(new OAuthConsent(client.ClientId, requested, person, [], CodeChallenge: null, IssueRefreshToken: true, install));
        OAuthWire.Redirect(context, OAuthWire.WithQuery(redirect, [("code", code), ("state", state)]));
    }

    private static string InvalidGrantText(OAuthRefusal refusal) => refusal switch
    {
        OAuthRefusal.RedirectUriMismatch => "Invalid redirect_uri: it must match the one in the authorization URL.",
        OAuthRefusal.UnknownCode or OAuthRefusal.CodeExpired or OAuthRefusal.CodeAlreadyUsed or OAuthRefusal.CodeOfAnotherClient => "Invalid code.",
        OAuthRefusal.GrantRevoked => "The authorization was revoked.",
        _ => "Invalid refresh token.",
    };

    private static JsonObject OAuthError(string error, string description) => new()
    {
        ["error"] = error,
        ["error_description"] = description,
        ["request_id"] = NotionJson.Id(Guid.NewGuid()),
    };
}
