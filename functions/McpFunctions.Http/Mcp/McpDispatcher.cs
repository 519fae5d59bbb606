using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
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
    IOptions<McpOptions> options,
    ILogger<McpDispatcher> logger)
{
    /// <summary>The answer to <paramref name="request"/>: a result, or a JSON-RPC error; never an exception but the caller's cancellation.</summary>
    public async Task<JsonRpcMessage> DispatchAsync(Caller caller, JsonRpcRequest request, CancellationToken cancellationToken)
    {
        var fields = new RequestLogScope(caller, "mcp:" + request.Method);
        using var scope = logger.BeginScope(fields);
        try
        {
            return request.Method switch
            {
                RequestMethods.Initialize => Initialize(request),
                RequestMethods.Ping => Respond(request, new EmptyResult()),
                RequestMethods.ToolsList => await ListToolsAsync(caller, request, cancellationToken),
                RequestMethods.ToolsCall => await CallToolAsync(caller, request, fields, cancellationToken),
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
            return Unavailable(request, ex is McpFunctionsException known ? known.Message : StoreOutage.Message);
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
    private static JsonRpcMessage Unavailable(JsonRpcRequest request, string message)
    {
        var text = $"{ErrorCode.ServiceUnavailable.ToWire()}: {message}";
        return request.Method == RequestMethods.ToolsCall
            ? Respond(request, new CallToolResult { Content = [new TextContentBlock { Text = text }], IsError = true })
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
            ServerInfo = new Implementation { Name = "mcpfunctions", Title = "McpFunctions", Version = ServerVersion },
            Instructions = "Tools act in third-party systems with the calling user's own connected accounts. "
                + "tools/list shows the tools of the providers this user has connected. Every tool takes an optional 'account' argument.",
        });
    }

    private async Task<JsonRpcMessage> ListToolsAsync(Caller caller, JsonRpcRequest request, CancellationToken cancellationToken)
    {
        var offset = DecodeCursor(Params<ListToolsRequestParams>(request)?.Cursor);
        var connected = await connections.ListAsync(caller, cancellationToken);
        var all = tools.For(connected.Select(c => c.Key.Provider));
        var pageSize = Math.Max(1, options.Value.ToolsPageSize);
        var page = all.Skip(offset).Take(pageSize).ToList();
        var next = offset + page.Count < all.Count ? EncodeCursor(offset + page.Count) : null;
        return Respond(request, new ListToolsResult { Tools = page, NextCursor = next });
    }

    private async Task<JsonRpcMessage> CallToolAsync(Caller caller, JsonRpcRequest request, RequestLogScope fields, CancellationToken cancellationToken)
    {
        var parameters = Params<CallToolRequestParams>(request) ?? throw new InvalidParamsException("tools/call needs params with a tool name.");
        if (string.IsNullOrEmpty(parameters.Name))
        {
            throw new InvalidParamsException("tools/call needs a tool name.");
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
            }),
            ToolOutcome.Failed failed => Respond(request, new CallToolResult
            {
                Content = [new TextContentBlock { Text = $"{failed.Code.ToWire()}: {failed.Message}" }],
                IsError = true,
            }),
            ToolOutcome.AuthorizationRequired auth => await ElicitAsync(caller, request, auth, cancellationToken),
            _ => throw new InvalidOperationException($"Unhandled tool outcome {outcome.GetType().Name}."),
        };
    }

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
            return Respond(request, new CallToolResult
            {
                Content = [new TextContentBlock { Text = $"{ErrorCode.NeedsReauth.ToWire()}: {auth.Message}" }],
                IsError = true,
            });
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

    private static readonly string ServerVersion =
        typeof(McpDispatcher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private sealed class InvalidParamsException(string message) : Exception(message);
}
