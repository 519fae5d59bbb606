using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Adapters.Caching;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using McpFunctions.Http.Endpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Http.Mcp;

/// <summary>Answers one JSON-RPC request of the MCP methods we serve, statelessly.</summary>
/// <remarks>
/// Our own dispatcher rather than the SDK's <c>McpServer</c>: the SDK's server is session-shaped (a
/// transport per session, answers as SSE only), while we must answer plain <c>application/json</c>
/// from any instance with no session, pick tools per caller, and return the URL-elicitation error
/// (-32042). The wire types are the SDK's, so the format stays the SDK's.
/// </remarks>
public sealed class McpDispatcher(
    CallTool callTool,
    ProviderCatalog catalog,
    GetConnections connections,
    McpToolList tools,
    StartAuthorization startAuthorization,
    RequestStateProtector requestStates,
    IOptions<McpOptions> options,
    IOptions<ConnectionCacheOptions> cache,
    TimeProvider time,
    ILogger<McpDispatcher> logger)
{
    /// <summary>How long the revision-independent <c>server/discover</c> answer may be reused.</summary>
    public static readonly TimeSpan DiscoverTtl = TimeSpan.FromHours(1);

    /// <summary>How long a 2026-07-28 client may retry a <c>tools/call</c> with our <c>requestState</c>: as long as the
    /// authorization URL it was given stays usable.</summary>
    public static readonly TimeSpan RequestStateLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The answer to <paramref name="request"/>: a result, or a JSON-RPC error; never an exception but the caller's cancellation.</summary>
    /// <param name="context">The revision the request is served under (<see cref="McpRequestGate"/> has checked it).</param>
    public async Task<JsonRpcMessage> DispatchAsync(Caller caller, JsonRpcRequest request, McpRequestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fields = new RequestLogScope(caller, "mcp:" + request.Method) { TraceId = context.TraceId };
        using var scope = logger.BeginScope(fields);
        try
        {
            return (request.Method, context.PerRequestMetadata) switch
            {
                (RequestMethods.Initialize, false) => Initialize(request),
                (RequestMethods.Ping, false) => Respond(request, new EmptyResult(), context),
                (RequestMethods.ServerDiscover, true) => Discover(request, context),
                (RequestMethods.ToolsList, _) => await ListToolsAsync(caller, request, context, cancellationToken),
                (RequestMethods.ToolsCall, _) => await CallToolAsync(caller, request, context, fields, cancellationToken),
                _ => Error(request.Id, McpErrorCode.MethodNotFound, $"Method not found: {Truncate(request.Method)}"),
            };
        }
        catch (InvalidParamsException ex)
        {
            return Error(request.Id, McpErrorCode.InvalidParams, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (StoreOutage.Is(ex) || ex is McpFunctionsException { Code: ErrorCode.ServiceUnavailable })
        {
            logger.LogError(ex, "MCP {Method} failed: a dependency is unavailable", request.Method);
            return Unavailable(request, context, ex is McpFunctionsException known ? known.Message : StoreOutage.Message);
        }
        catch (Exception ex)
        {
            // Ours or the SDKs'; credentials never travel in exceptions, so logging it (here, inside the scope that names
            // tenant, user, provider and account) is safe. The caller learns nothing of it: exception text can name
            // hosts, queries or internals.
            logger.LogError(ex, "MCP {Method} failed unexpectedly", request.Method);
            return Error(request.Id, McpErrorCode.InternalError, InternalErrorMessage);
        }
    }

    /// <summary>JSON-RPC's implementation-defined server error: a dependency we need is down, try again.</summary>
    public const int ServerUnavailableCode = -32000;

    /// <summary>A dependency outage: for tools/call a tool error a model can act on, otherwise the server error -32000;
    /// both carry the stable code SERVICE_UNAVAILABLE, never -32603.</summary>
    private static JsonRpcMessage Unavailable(JsonRpcRequest request, McpRequestContext context, string message)
    {
        var text = $"{ErrorCode.ServiceUnavailable.ToWire()}: {message}";
        return request.Method == RequestMethods.ToolsCall
            ? Respond(request, ToolError(text), context)
            : Error(request.Id, (McpErrorCode)ServerUnavailableCode, text, new JsonObject { ["code"] = ErrorCode.ServiceUnavailable.ToWire(), ["retryAfterSeconds"] = StoreOutage.RetryAfterSeconds });
    }

    /// <summary>The whole message of a -32603 answer.</summary>
    public const string InternalErrorMessage = "Internal error; it has been logged.";

    public static JsonRpcError Error(RequestId id, McpErrorCode code, string message, JsonNode? data = null) => new()
    {
        Id = id,
        Error = new JsonRpcErrorDetail { Code = (int)code, Message = message, Data = data },
    };

    private static JsonRpcResponse Initialize(JsonRpcRequest request)
    {
        var parameters = Params<InitializeRequestParams>(request);
        var version = McpProtocol.Negotiate(parameters?.ProtocolVersion);
        return Respond(request, new InitializeResult
        {
            ProtocolVersion = version,
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = false } },
            ServerInfo = ServerInfo,
            Instructions = Instructions,
        });
    }

    /// <summary>2026-07-28's replacement for the handshake: versions, capabilities and identity, the same for every caller.</summary>
    private static JsonRpcResponse Discover(JsonRpcRequest request, McpRequestContext context) => Respond(request, new DiscoverResult
    {
        SupportedVersions = [.. McpProtocol.SupportedVersions],
        Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = false } },
        Instructions = Instructions,
        TimeToLive = DiscoverTtl,
        CacheScope = ModelContextProtocol.Protocol.CacheScope.Public,
    }, context);

    private async Task<JsonRpcMessage> ListToolsAsync(Caller caller, JsonRpcRequest request, McpRequestContext context, CancellationToken cancellationToken)
    {
        var offset = DecodeCursor(Params<ListToolsRequestParams>(request)?.Cursor);
        var connected = await connections.ListAsync(caller, cancellationToken);
        var all = tools.For(connected.Select(c => c.Key.Provider));
        var pageSize = Math.Max(1, options.Value.ToolsPageSize);
        var page = all.Skip(offset).Take(pageSize).ToList();
        var next = offset + page.Count < all.Count ? EncodeCursor(offset + page.Count) : null;
        var result = new ListToolsResult { Tools = page, NextCursor = next };
        if (context.PerRequestMetadata)
        {
            // The list follows the caller's connections, which we read through the connection cache: it is as fresh as
            // that cache, and valid for no one else.
            result.TimeToLive = TimeSpan.FromSeconds(Math.Max(0, cache.Value.ConnectionSeconds));
            result.CacheScope = ModelContextProtocol.Protocol.CacheScope.Private;
        }

        return Respond(request, result, context);
    }

    private async Task<JsonRpcMessage> CallToolAsync(
        Caller caller, JsonRpcRequest request, McpRequestContext context, RequestLogScope fields, CancellationToken cancellationToken)
    {
        var parameters = Params<CallToolRequestParams>(request) ?? throw new InvalidParamsException("tools/call needs params with a tool name.");
        if (string.IsNullOrEmpty(parameters.Name))
        {
            throw new InvalidParamsException("tools/call needs a tool name.");
        }

        if (context.PerRequestMetadata && await CheckRetryAsync(caller, parameters, cancellationToken) is { } refusal)
        {
            return refusal == Declined
                ? Respond(request, ToolError($"{ErrorCode.NotConnected.ToWire()}: the user declined to connect; call again once they want to."), context)
                : Error(request.Id, McpErrorCode.InvalidParams, refusal);
        }

        var arguments = request.Params?["arguments"] is { } node ? ToElement(node) : default;
        if (catalog.ToolsByName.TryGetValue(parameters.Name, out var entry))
        {
            // Named before the call, so every line the call logs (refresh, provider errors, failures) carries them.
            fields.Tool = parameters.Name;
            fields.Provider = entry.Provider.Id;
            var named = arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(CallTool.AccountArgument, out var account)
                ? account.ValueKind == JsonValueKind.String ? account.GetString() : RequestLogScope.InvalidAccount
                : null;
            fields.NameAccount(named);
        }

        var outcome = await callTool.ExecuteAsync(caller, parameters.Name, arguments, cancellationToken);
        return outcome switch
        {
            null => Error(request.Id, McpErrorCode.InvalidParams, $"Unknown tool: {Truncate(parameters.Name)}"),
            ToolOutcome.Succeeded ok => Respond(request, new CallToolResult
            {
                Content = [new TextContentBlock { Text = ok.Text }],
                StructuredContent = ok.Structured.ValueKind == JsonValueKind.Object ? ok.Structured : null,
            }, context),
            ToolOutcome.Failed failed => Respond(request, ToolError($"{failed.Code.ToWire()}: {failed.Message}"), context),
            ToolOutcome.AuthorizationRequired auth when context.PerRequestMetadata => await RequireInputAsync(caller, request, parameters.Name, auth, context, cancellationToken),
            ToolOutcome.AuthorizationRequired auth => await ElicitAsync(caller, request, auth, cancellationToken),
            _ => throw new InvalidOperationException($"Unhandled tool outcome {outcome.GetType().Name}."),
        };
    }

    /// <summary>Marks a retry whose input says the user declined (or cancelled) connecting.</summary>
    private const string Declined = "declined";

    /// <summary>A 2026-07-28 retry carries our <c>requestState</c> (and the client's <c>inputResponses</c>): the state must be
    /// one we signed for this user and tool, still valid. Returns why the request is refused, <see cref="Declined"/> when
    /// the user said no, or null to run the tool (connected meanwhile, or asked again).</summary>
    private async Task<string?> CheckRetryAsync(Caller caller, CallToolRequestParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.RequestState is not { } token)
        {
            return parameters.InputResponses is { Count: > 0 }
                ? "Invalid params: inputResponses answer an input_required result, and this request carries none of our requestState."
                : null;
        }

        var state = await requestStates.UnprotectAsync(token, cancellationToken);
        if (state is null || !state.Admits(caller, parameters.Name, time.GetUtcNow()))
        {
            logger.LogWarning("Refused a tools/call retry of {Tool}: its requestState is forged, expired, or another user's or tool's", Truncate(parameters.Name));
            return "Invalid params: requestState is not valid for this request (altered, expired, or issued for another user or tool). Call the tool again without it.";
        }

        var answer = parameters.InputResponses?.Values.FirstOrDefault()?.RawValue;
        return answer is { ValueKind: JsonValueKind.Object } response
            && response.TryGetProperty("action", out var action) && action.ValueKind == JsonValueKind.String
            && (action.ValueEquals("decline") || action.ValueEquals("cancel"))
            ? Declined
            : null;
    }

    /// <summary>2026-07-28's way to connect mid-call: an <c>input_required</c> result holding a URL-mode elicitation with a
    /// fresh authorization URL, and our signed <c>requestState</c>; the client's retry runs the tool once the user has
    /// connected. A client that did not declare URL elicitation on this request gets a tool error saying how to connect.</summary>
    private async Task<JsonRpcMessage> RequireInputAsync(
        Caller caller, JsonRpcRequest request, string tool, ToolOutcome.AuthorizationRequired auth, McpRequestContext context, CancellationToken cancellationToken)
    {
        var howToConnect = $"{ErrorCode.NotConnected.ToWire()}: {auth.Message} Connect the {auth.Provider.DisplayName} account from the chat product "
            + $"(POST /api/mcp/{auth.Provider.Id}/authorize), then call the tool again.";
        if (!context.AcceptsUrlElicitation)
        {
            return Respond(request, ToolError(howToConnect), context);
        }

        AuthorizationStart start;
        try
        {
            start = await startAuthorization.ExecuteAsync(caller, auth.Provider.Id, auth.Account, returnUrl: null, scopes: null, cancellationToken);
        }
        catch (McpFunctionsException ex)
        {
            logger.LogInformation("Cannot offer a connect URL for {Provider}: {Code}", auth.Provider.Id, ex.Code.ToWire());
            return Respond(request, ToolError(howToConnect), context);
        }

        var expires = time.GetUtcNow() + RequestStateLifetime;
        var state = new ConnectRequestState(
            caller.TenantId, caller.UserId, tool, auth.Provider.Id, auth.Account, expires.ToUnixTimeSeconds(), Convert.ToHexString(RandomNumberGenerator.GetBytes(8)));
        var elicitation = new ElicitRequestParams
        {
            Mode = "url",
            // AbsoluteUri, not ToString(): ToString() decodes escapes such as the %20 between scopes, leaving a raw space.
            Url = start.AuthorizationUrl.AbsoluteUri,
            Message = $"Connect your {auth.Provider.DisplayName} account to continue.",
        };
        return Respond(request, new InputRequiredResult
        {
            InputRequests = new Dictionary<string, InputRequest>(StringComparer.Ordinal)
            {
                [$"connect_{auth.Provider.Id}"] = InputRequest.ForElicitation(elicitation),
            },
            RequestState = await requestStates.ProtectAsync(state, cancellationToken),
        }, context);
    }

    private static CallToolResult ToolError(string text) => new() { Content = [new TextContentBlock { Text = text }], IsError = true };

    /// <summary>The spec's URL elicitation: a fresh authorization URL for this user, opened in their browser.</summary>
    private async Task<JsonRpcMessage> ElicitAsync(Caller caller, JsonRpcRequest request, ToolOutcome.AuthorizationRequired auth, CancellationToken cancellationToken)
    {
        AuthorizationStart start;
        try
        {
            start = await startAuthorization.ExecuteAsync(caller, auth.Provider.Id, auth.Account, returnUrl: null, scopes: null, cancellationToken);
        }
        catch (McpFunctionsException ex)
        {
            // No connect URL can be minted here (e.g. no default return URL): say what to do instead.
            logger.LogInformation("Cannot offer a connect URL for {Provider}: {Code}", auth.Provider.Id, ex.Code.ToWire());
            return Respond(request, ToolError($"{ErrorCode.NeedsReauth.ToWire()}: {auth.Message}"));
        }

        var data = new UrlElicitationRequiredErrorData
        {
            Elicitations =
            [
                new ElicitRequestParams
                {
                    Mode = "url",
                    ElicitationId = $"connect-{auth.Provider.Id}-{auth.Account}-{start.ExpiresAt.ToUnixTimeSeconds()}",
                    // AbsoluteUri, not ToString(): ToString() decodes escapes such as the %20 between scopes, leaving a raw space.
                    Url = start.AuthorizationUrl.AbsoluteUri,
                    Message = $"Connect your {auth.Provider.DisplayName} account to continue.",
                },
            ],
        };
        return Error(request.Id, McpErrorCode.UrlElicitationRequired, auth.Message, JsonSerializer.SerializeToNode(data, TypeInfo<UrlElicitationRequiredErrorData>()));
    }

    private static JsonRpcResponse Respond<T>(JsonRpcRequest request, T result) => new()
    {
        Id = request.Id,
        Result = JsonSerializer.SerializeToNode(result, TypeInfo<T>()),
    };

    /// <summary>A result as the request's revision wants it: from 2026-07-28 on, with its <c>resultType</c> and our identity in
    /// <c>_meta</c>; earlier revisions get exactly the 2025 shape.</summary>
    private static JsonRpcResponse Respond<T>(JsonRpcRequest request, T result, McpRequestContext context)
        where T : Result
    {
        if (context.PerRequestMetadata)
        {
            result.ResultType ??= "complete";
            result.Meta ??= [];
            result.Meta[MetaKeys.ServerInfo] = JsonSerializer.SerializeToNode(ServerInfo, TypeInfo<Implementation>());
        }

        return Respond(request, result);
    }

    private static readonly string ServerVersion =
        typeof(McpDispatcher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static readonly Implementation ServerInfo = new() { Name = "mcpfunctions", Title = "McpFunctions", Version = ServerVersion };

    private const string Instructions = "Tools act in third-party systems with the calling user's own connected accounts. "
        + "tools/list shows the tools of the providers this user has connected. Every tool takes an optional 'account' argument.";

    private static T? Params<T>(JsonRpcRequest request)
        where T : class
    {
        if (request.Params is null)
        {
            return null;
        }

        try
        {
            return request.Params.Deserialize(TypeInfo<T>());
        }
        catch (JsonException ex)
        {
            throw new InvalidParamsException($"Invalid params for {request.Method}{(ex.Path is { } path ? $" at {path}" : "")}.");
        }
    }

    private static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)McpProtocol.Wire.GetTypeInfo(typeof(T));

    private static string EncodeCursor(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"o:{offset}"));

    private static int DecodeCursor(string? cursor)
    {
        if (cursor is null)
        {
            return 0;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith("o:", StringComparison.Ordinal) && int.TryParse(text[2..], out var offset) && offset >= 0)
            {
                return offset;
            }
        }
        catch (FormatException)
        {
            // Falls through to the invalid-cursor error below.
        }

        throw new InvalidParamsException("Invalid cursor.");
    }

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100] + "…";


    private sealed class InvalidParamsException(string message) : Exception(message);
}
