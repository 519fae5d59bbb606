using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Http.Mcp;

/// <summary>Decides which revision a request is served under and refuses what that revision forbids, before dispatch.</summary>
/// <remarks>
/// One URL serves both eras. A request whose <c>params._meta</c> claims a protocol version is a 2026-07-28 request; a
/// claim-less one is a 2025 request (initialize-negotiated), unless its <c>MCP-Protocol-Version</c> header names a
/// per-request revision, in which case it is a malformed 2026 request. 2026-07-28 checks run in the order the revision's
/// conformance suite expects when several fail: the <c>_meta</c> fields (-32602), the version header against the body
/// (-32020), the version (-32022), <c>Mcp-Method</c>/<c>Mcp-Name</c> against the body (-32020), the method (-32601, 404).
/// </remarks>
public static class McpRequestGate
{
    /// <summary>The methods a 2026-07-28 request may call here (a tools-only server: no ping, no logging, no initialize).</summary>
    public static readonly IReadOnlySet<string> PerRequestMethods =
        new HashSet<string>(StringComparer.Ordinal) { RequestMethods.ServerDiscover, RequestMethods.ToolsList, RequestMethods.ToolsCall };

    /// <summary>The 2026-07-28 methods whose <c>Mcp-Name</c> header must carry <c>params.name</c>.</summary>
    private static readonly HashSet<string> NamedMethods =
        new HashSet<string>(StringComparer.Ordinal) { RequestMethods.ToolsCall, RequestMethods.PromptsGet };

    public static McpGateResult Check(JsonRpcRequest request, IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(headers);
        var parameters = request.Params as JsonObject;
        var meta = parameters?["_meta"] as JsonObject;
        var header = headers[McpProtocol.VersionHeader];
        var claim = meta?[MetaKeys.ProtocolVersion];
        if (claim is null)
        {
            return header.Count > 0 && McpProtocol.PerRequestVersions.Contains(header.ToString().Trim())
                ? Reject(request, McpErrorCode.InvalidParams, StatusCodes.Status400BadRequest,
                    $"Invalid params: a {header.ToString().Trim()} request carries params._meta[\"{MetaKeys.ProtocolVersion}\"] and params._meta[\"{MetaKeys.ClientCapabilities}\"].")
                : Legacy(request, header);
        }

        if (claim is not JsonValue claimValue || !claimValue.TryGetValue<string>(out var version))
        {
            return Reject(request, McpErrorCode.InvalidParams, StatusCodes.Status400BadRequest, $"Invalid params: _meta[\"{MetaKeys.ProtocolVersion}\"] must be a string.");
        }

        if (meta![MetaKeys.ClientCapabilities] is not JsonObject capabilities)
        {
            return Reject(request, McpErrorCode.InvalidParams, StatusCodes.Status400BadRequest,
                $"Invalid params: _meta[\"{MetaKeys.ClientCapabilities}\"] is required: an object ({{}} declares none).");
        }

        if (meta[MetaKeys.ClientInfo] is { } info && info is not JsonObject)
        {
            return Reject(request, McpErrorCode.InvalidParams, StatusCodes.Status400BadRequest, $"Invalid params: _meta[\"{MetaKeys.ClientInfo}\"] must be an object.");
        }

        if (header.Count != 1 || !string.Equals(header.ToString().Trim(), version, StringComparison.Ordinal))
        {
            return Reject(request, McpErrorCode.HeaderMismatch, StatusCodes.Status400BadRequest,
                $"Header mismatch: the {McpProtocol.VersionHeader} header must be present and equal _meta[\"{MetaKeys.ProtocolVersion}\"].");
        }

        if (!McpProtocol.PerRequestVersions.Contains(version))
        {
            var data = new JsonObject
            {
                ["supported"] = new JsonArray([.. McpProtocol.SupportedVersions.Select(v => JsonValue.Create(v))]),
                ["requested"] = version,
            };
            return Reject(request, McpErrorCode.UnsupportedProtocolVersion, StatusCodes.Status400BadRequest, "Unsupported protocol version", data);
        }

        var method = headers[McpProtocol.MethodHeader];
        if (method.Count != 1 || !string.Equals(method.ToString().Trim(), request.Method, StringComparison.Ordinal))
        {
            return Reject(request, McpErrorCode.HeaderMismatch, StatusCodes.Status400BadRequest,
                $"Header mismatch: the {McpProtocol.MethodHeader} header must be present and equal the request's method.");
        }

        if (NamedMethods.Contains(request.Method) && !NameHeaderMatches(headers[McpProtocol.NameHeader], parameters?["name"]))
        {
            return Reject(request, McpErrorCode.HeaderMismatch, StatusCodes.Status400BadRequest,
                $"Header mismatch: the {McpProtocol.NameHeader} header must be present and equal params.name (Base64 as =?base64?…?= where it is not plain ASCII).");
        }

        if (!PerRequestMethods.Contains(request.Method))
        {
            return Reject(request, McpErrorCode.MethodNotFound, StatusCodes.Status404NotFound, $"Method not found: {Truncate(request.Method)}");
        }

        return new McpGateResult.Accepted(new McpRequestContext(
            version,
            PerRequestMetadata: true,
            capabilities,
            TraceParent: TextOf(meta["traceparent"]),
            TraceState: TextOf(meta["tracestate"])));
    }

    /// <summary>2025 rules: every message but <c>initialize</c> must carry a version we speak, if it carries one.</summary>
    public static McpGateResult Legacy(JsonRpcRequest? request, Microsoft.Extensions.Primitives.StringValues header)
    {
        if (request?.Method != RequestMethods.Initialize && header.Count > 0 && !McpProtocol.InitializeVersions.Contains(header.ToString()))
        {
            var error = McpDispatcher.Error(
                request?.Id ?? default,
                McpErrorCode.InvalidRequest,
                $"Unsupported {McpProtocol.VersionHeader} '{Truncate(header.ToString())}'. Supported: {string.Join(", ", McpProtocol.SupportedVersions)}.");
            return new McpGateResult.Rejected(error, StatusCodes.Status400BadRequest);
        }

        return new McpGateResult.Accepted(McpRequestContext.Legacy(header.Count > 0 ? header.ToString() : McpProtocol.LatestInitializeVersion));
    }

    private static bool NameHeaderMatches(Microsoft.Extensions.Primitives.StringValues header, JsonNode? name) =>
        header.Count == 1
        && name is JsonValue value && value.GetValueKind() == JsonValueKind.String
        && McpHeaderValue.TryDecode(header.ToString(), out var decoded)
        && string.Equals(decoded, value.GetValue<string>(), StringComparison.Ordinal);

    private static string? TextOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static McpGateResult.Rejected Reject(JsonRpcRequest request, McpErrorCode code, int status, string message, JsonNode? data = null) =>
        new(McpDispatcher.Error(request.Id, code, message, data), status);

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

/// <summary>What <see cref="McpRequestGate"/> decided: serve under a context, or answer an error with an HTTP status.</summary>
public abstract record McpGateResult
{
    private McpGateResult()
    {
    }

    public sealed record Accepted(McpRequestContext Context) : McpGateResult;

    public sealed record Rejected(JsonRpcError Error, int HttpStatus) : McpGateResult;
}
