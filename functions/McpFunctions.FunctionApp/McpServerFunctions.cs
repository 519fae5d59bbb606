using McpFunctions.Http.Mcp;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary>The MCP Streamable HTTP endpoint (<see cref="McpApi"/>) and its RFC 9728 metadata (<see cref="ProtectedResourceApi"/>).</summary>
public static class McpServerFunctions
{
    [Function("Mcp")]
    public static Task<IResult> Post(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp")] HttpRequest request) =>
        McpApi.Post(request.HttpContext);

    /// <summary>405 with <c>Allow: POST</c>: the endpoint is stateless, so there is no SSE stream or session to end.</summary>
    [Function("McpOtherMethods")]
    public static Task<IResult> NotAllowed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "delete", Route = "api/mcp")] HttpRequest request) =>
        McpApi.NotAllowed(request.HttpContext);

    [Function("ProtectedResourceMetadata")]
    public static Task<IResult> Metadata(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource")] HttpRequest request) =>
        ProtectedResourceApi.Metadata(request.HttpContext);

    /// <summary>The path-suffixed form (RFC 9728 §3.1) of the metadata for the resource <c>/api/mcp</c>.</summary>
    [Function("ProtectedResourceMetadataForMcp")]
    public static Task<IResult> MetadataForMcp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource/api/mcp")] HttpRequest request) =>
        ProtectedResourceApi.Metadata(request.HttpContext);
}
