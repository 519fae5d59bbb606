using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using McpFunctions.Core.Errors;
using McpFunctions.Http.Auth;
using McpFunctions.Http.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Http.Mcp;

/// <summary>The MCP Streamable HTTP endpoint, stateless: no <c>Mcp-Session-Id</c>, any instance answers any request.</summary>
public static class McpApi
{
    public const string Route = "/api/mcp";

    public static RouteGroupBuilder MapMcpApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("MCP");
        api.MapPost(Route, Post).WithName("Mcp").Authenticated()
            .WithSummary("One JSON-RPC message of the Model Context Protocol (Streamable HTTP, stateless)")
            .AcceptsJson<JsonElement>()
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<JsonElement>(StatusCodes.Status400BadRequest)
            .Produces<JsonElement>(StatusCodes.Status404NotFound)
            .Produces<JsonElement>(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblems(StatusCodes.Status403Forbidden);
        // Described one method each: an operation id names one operation.
        api.MapGet(Route, NotAllowed).WithName("McpGetNotAllowed").AllowAnonymous().Produces(StatusCodes.Status405MethodNotAllowed);
        api.MapDelete(Route, NotAllowed).WithName("McpDeleteNotAllowed").AllowAnonymous().Produces(StatusCodes.Status405MethodNotAllowed);
        return api;
    }

    /// <summary>GET (server-initiated SSE stream) and DELETE (session end) do not exist without sessions: 405 with <c>Allow: POST</c>.</summary>
    public static StatusCodeHttpResult NotAllowed(HttpContext http)
    {
        http.Response.Headers.Allow = "POST";
        return TypedResults.StatusCode(StatusCodes.Status405MethodNotAllowed);
    }

    /// <summary>200 with the JSON-RPC response (JSON, or one SSE event); 202 for a notification; JSON-RPC errors with 400 or 413
    /// for a message we cannot read or a request its revision refuses, 404 for a method 2026-07-28 does not have here;
    /// problem details for a refused origin (403) or token (401).</summary>
    public static async Task<Results<McpReply, Accepted, ApiProblemResult>> Post(
        HttpContext http,
        [FromServices] IOptions<McpOptions> settings,
        [FromServices] CallerAuthenticator authenticator,
        [FromServices] McpDispatcher dispatcher,
        [FromServices] ILoggerFactory loggers)
    {
        var options = settings.Value;
        var logger = loggers.CreateLogger("McpFunctions.Mcp");

        if (http.Request.Headers.Origin is { Count: > 0 } origin
            && !options.AllowedOrigins.Contains(origin.ToString(), StringComparer.OrdinalIgnoreCase)
            && !IsSameLoopbackOrigin(http.Request, origin.ToString()))
        {
            logger.LogWarning("Rejected MCP request from origin {Origin}", origin.ToString());
            // Before authentication: a page on a foreign origin must not learn even whether its token would pass.
            return Problems.Of(ErrorCode.OriginNotAllowed, "This Origin is not allowed to call the MCP endpoint; allowed origins are set in Mcp__AllowedOrigins.");
        }

        var authentication = await authenticator.AuthenticateAsync(http.Request.Headers.Authorization);
        if (authentication.Caller is not { } caller)
        {
            logger.LogWarning("Rejected MCP request: {AuthError}", authentication.Error);
            return ApiEndpoint.Unauthorized(http, authentication);
        }

        byte[] body;
        try
        {
            body = await RequestBody.ReadBytesAsync(http.Request, options.MaxRequestBytes, http.RequestAborted);
        }
        catch (McpFunctionsException ex) when (ex.Code == ErrorCode.PayloadTooLarge)
        {
            return Write(http, McpDispatcher.Error(default, McpErrorCode.InvalidRequest, ex.Message), StatusCodes.Status413PayloadTooLarge);
        }

        JsonRpcRequest? request;
        try
        {
            request = JsonRpcEnvelope.Parse(body);
        }
        catch (JsonRpcEnvelope.RejectedException ex)
        {
            return Write(http, McpDispatcher.Error(ex.Id, ex.Code, ex.Message), StatusCodes.Status400BadRequest);
        }

        if (request is null)
        {
            // A notification or a response to us: nothing to answer, if it names a version we speak (2026-07-28 sets no
            // other header rules for notifications).
            var claimed = http.Request.Headers[McpProtocol.VersionHeader];
            return claimed.Count > 0 && !McpProtocol.SupportedVersions.Contains(claimed.ToString().Trim())
                ? Write(http, ((McpGateResult.Rejected)McpRequestGate.Legacy(null, claimed)).Error, StatusCodes.Status400BadRequest)
                : TypedResults.Accepted((string?)null);
        }

        McpRequestContext context;
        switch (McpRequestGate.Check(request, http.Request.Headers))
        {
            case McpGateResult.Rejected rejected:
                logger.LogInformation("Refused MCP {Method}: {Code}", Truncate(request.Method), rejected.Error.Error.Code);
                return Write(http, rejected.Error, rejected.HttpStatus);
            case McpGateResult.Accepted accepted:
                context = accepted.Context;
                break;
            default:
                throw new InvalidOperationException("Unhandled gate result.");
        }

        // The caller's trace (2026-07-28 _meta) continues here: our log lines and spans join it.
        using var activity = McpTrace.Continue(request.Method, context);

        // The dispatcher logs within the request's scope and turns every failure into a JSON-RPC error (-32603 for ours).
        JsonRpcMessage response;
        try
        {
            response = await dispatcher.DispatchAsync(caller, request, context, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return ApiProblemResult.Abandoned;
        }

        return Write(http, response, StatusCodes.Status200OK);
    }

    /// <summary>JSON by default; one SSE event when the client accepts only <c>text/event-stream</c>.</summary>
    private static McpReply Write(HttpContext http, JsonRpcMessage message, int status)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, McpProtocol.Wire.GetTypeInfo(typeof(JsonRpcMessage)));
        if (AcceptsOnlyEventStream(http.Request))
        {
            var sse = new StringBuilder("event: message\ndata: ").Append(Encoding.UTF8.GetString(json)).Append("\n\n");
            return new McpReply(Encoding.UTF8.GetBytes(sse.ToString()), "text/event-stream", status);
        }

        return new McpReply(json, "application/json", status);
    }

    /// <summary>A page served from this very loopback address (a developer's tool on <c>http://localhost:7071</c>): same
    /// origin, so not a DNS-rebinding attack, whose Host is the attacker's name. Nothing else is admitted without
    /// <c>Mcp__AllowedOrigins</c>.</summary>
    private static bool IsSameLoopbackOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var url)
        && url.IsLoopback
        && string.Equals(url.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);

    private static bool AcceptsOnlyEventStream(HttpRequest request)
    {
        // q=0 means "not acceptable", so such entries do not count.
        var accept = request.GetTypedHeaders().Accept.Where(a => a.Quality is not 0).ToList();
        if (accept.Count == 0)
        {
            return false;
        }

        var json = accept.Any(a => a.MatchesMediaType("application/json") || a.MediaType == "*/*" || a.MediaType == "application/*");
        return !json && accept.Any(a => a.MediaType == "text/event-stream");
    }

    private static bool MatchesMediaType(this MediaTypeHeaderValue value, string mediaType) =>
        value.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
