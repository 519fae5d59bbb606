using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.Notion;

/// <summary>
/// A local stand-in for Notion's public REST API (version <see cref="ApiVersion"/>): a Kestrel server on
/// <c>http://127.0.0.1:{random port}</c> with in-memory, thread-safe state. It answers the documented endpoints
/// for users, pages, blocks, databases, search and comments with Notion-shaped objects, list responses and
/// error bodies, and lets a test inject faults (429/5xx), add latency, and inspect the requests it received.
/// </summary>
/// <remarks>
/// Every request needs <c>Authorization: Bearer {token}</c> for a token from <see cref="AddIntegration"/>
/// (else 401 <c>unauthorized</c>) and a <c>Notion-Version</c> header (else 400 <c>missing_version</c>).
/// Each workspace has its own pages, databases, blocks, users and comments.
/// </remarks>
public sealed partial class NotionStandIn : IAsyncDisposable
{
    /// <summary>The API version whose behaviour the stand-in reproduces.</summary>
    public const string ApiVersion = "2022-06-28";

    private readonly NotionBackend _backend = new();
    private readonly FaultQueue _faults = new();
    private StandInServer _server = null!;

    private NotionStandIn()
    {
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:51234/</c>; endpoints live under <c>v1/</c>.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>A delay applied before answering every request (to simulate a slow API or provoke client timeouts).</summary>
    public TimeSpan ResponseDelay
    {
        get => _server.ResponseDelay;
        set => _server.ResponseDelay = value;
    }

    /// <summary>A snapshot of the requests received since start or the last <see cref="ClearRequests"/>, in arrival order
    /// (recorded before any fault, auth or routing).</summary>
    public IReadOnlyList<StandInRequest> Requests => _server.Requests;

    /// <summary>How many requests were received since start or the last <see cref="ClearRequests"/>.</summary>
    public int RequestCount => _server.RequestCount;

    /// <summary>Starts a stand-in on a free loopback port.</summary>
    public static async Task<NotionStandIn> StartAsync(CancellationToken ct = default)
    {
        var standIn = new NotionStandIn();
        standIn._server = await StandInServer.StartAsync("Notion", standIn.HandleAsync, TimeProvider.System, ct);
        return standIn;
    }

    /// <summary>
    /// Creates an internal integration in <paramref name="workspaceName"/> (created on first use) and returns its
    /// token (<c>ntn_…</c>). Its bot user is <c>GET /v1/users/me</c>. Integrations of the same workspace share its
    /// content; different workspaces never see each other's data.
    /// </summary>
    public string AddIntegration(string workspaceName, string botName = "Test Bot")
    {
        ArgumentException.ThrowIfNullOrEmpty(workspaceName);
        ArgumentException.ThrowIfNullOrEmpty(botName);
        return _backend.AddIntegration(workspaceName, botName);
    }

    /// <summary>Revokes a token: later requests with it get 401 <c>unauthorized</c>.</summary>
    public void RevokeToken(string token) => _backend.RevokeToken(token);

    /// <summary>
    /// Adds a page to the token's workspace and returns its id (UUID with dashes). With no parent it is a
    /// workspace-level page; the parent may be a page, a block, or a database (the page becomes a row whose title
    /// property is set).
    /// </summary>
    public string AddPage(string token, string title, string? parentPageId = null) =>
        _backend.AddPage(token, title, parentPageId);

    /// <summary>Adds a database with one title property <c>Name</c> and returns its id.</summary>
    public string AddDatabase(string token, string title, string? parentPageId = null) =>
        _backend.AddDatabase(token, title, parentPageId);

    /// <summary>Appends one paragraph block per text to a page or block (no 100-children limit here, for seeding).</summary>
    public void AddBlocks(string token, string parentId, IEnumerable<string> paragraphTexts)
    {
        ArgumentNullException.ThrowIfNull(paragraphTexts);
        _backend.AddBlocks(token, parentId, paragraphTexts);
    }

    /// <summary>Adds a person user to the token's workspace and returns the user id.</summary>
    public string AddUser(string token, string name, string email) => _backend.AddUser(token, name, email);

    /// <summary>
    /// Makes the next <paramref name="count"/> requests fail with <paramref name="status"/> and Notion's error body
    /// (429 <c>rate_limited</c> with <c>Retry-After</c> in whole seconds, default 1; 500 <c>internal_server_error</c>;
    /// 503 <c>service_unavailable</c>; …). <paramref name="retryAfter"/> adds <c>Retry-After</c> to other statuses too.
    /// Calls queue up: a second call applies after the first one's requests are used.
    /// </summary>
    public void FailNext(int count, int status, TimeSpan? retryAfter = null)
    {
        _faults.Add(count, status, retryAfter);
    }

    /// <summary>Forgets the recorded requests (and resets <see cref="RequestCount"/>).</summary>
    public void ClearRequests() => _server.ClearRequests();

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    // ---------------------------------------------------------------- pipeline

    private async Task HandleAsync(HttpContext context, StandInRequest recorded, CancellationToken ct)
    {
        var request = context.Request;
        var oauth = IsOAuthRoute(request.Path);
        var fault = oauth ? null : _faults.TakeNext();
        if (oauth)
        {
            await HandleOAuthAsync(context, recorded.Body);
            return;
        }

        if (fault is not null)
        {
            var (code, message) = FaultError(fault.Status);
            await WriteAsync(context, fault.Status, NotionJson.Error(fault.Status, code, message), fault.RetryAfter);
            return;
        }

        int status;
        JsonNode response;
        try
        {
            response = Process(request.Method, request.Path.Value ?? "/", request.Query, recorded.Header("Authorization"), recorded.Header("Notion-Version"), recorded.Body);
            status = 200;
        }
        catch (NotionApiException e)
        {
            status = e.Status;
            response = NotionJson.Error(e.Status, e.Code, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            status = 500;
            response = NotionJson.Error(500, "internal_server_error", "Unexpected error occurred.");
        }

        await WriteAsync(context, status, response, null);
    }

    private JsonNode Process(string method, string path, IQueryCollection query, string? authorization, string? version, string body)
    {
        const string scheme = "Bearer ";
        var who = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? _backend.Authenticate(authorization[scheme.Length..].Trim()) ?? AuthenticateOAuth(authorization[scheme.Length..].Trim())
            : null;
        if (who is null)
        {
            throw new NotionApiException(401, "unauthorized", "API token is invalid.");
        }

        if (string.IsNullOrWhiteSpace(version))
        {
            throw new NotionApiException(
                400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.");
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var json = method is "POST" or "PATCH" ? ParseBody(body) : [];
        return _backend.Handle(who, method, segments, query, json);
    }

    private static JsonObject ParseBody(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return [];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            throw new NotionApiException(400, "invalid_json", "Error parsing JSON body.");
        }

        return node as JsonObject ?? throw NotionApiException.Expected("body", "an object", node);
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode body, TimeSpan? retryAfter)
    {
        var bytes = NotionJson.ToUtf8(body);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentLength = bytes.Length;
        try
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }


    private static (string Code, string Message) FaultError(int status) => status switch
    {
        400 => ("invalid_request", "Unsupported request."),
        401 => ("unauthorized", "API token is invalid."),
        403 => ("restricted_resource", "API token does not have access to this resource."),
        404 => ("object_not_found", "Could not find object. Make sure the relevant pages and databases are shared with your integration."),
        409 => ("conflict_error", "Conflict occurred while saving. Please try again."),
        429 => ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
        502 => ("bad_gateway", "Notion encountered an issue while attempting to complete this request. Please try again."),
        503 => ("service_unavailable", "Notion is unavailable, please try again later."),
        504 => ("gateway_timeout", "Notion timed out while attempting to complete this request. Please try again later."),
        _ => ("internal_server_error", "Unexpected error occurred."),
    };

}
