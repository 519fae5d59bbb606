using McpFunctions.Http.ApiDocs;
using McpFunctions.Http.Auth;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Mcp;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.FunctionApp;

/// <summary>The MCP Streamable HTTP endpoint (<see cref="McpApi"/>), its RFC 9728 metadata (<see cref="ProtectedResourceApi"/>)
/// and the OpenAPI document of the HTTP API (<see cref="OpenApiDocumentApi"/>).</summary>
public sealed class McpServerFunctions(
    IOptions<McpOptions> mcp,
    IOptions<AuthOptions> auth,
    CallerAuthenticator authenticator,
    McpDispatcher dispatcher,
    ApiDescription description,
    ILoggerFactory loggers)
{
    [Function("Mcp")]
    public Task<Results<McpReply, Accepted, ApiProblemResult>> Post(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp")] HttpRequest request) =>
        McpApi.Post(request.HttpContext, mcp, authenticator, dispatcher, loggers);

    /// <summary>405 with <c>Allow: POST</c>: the endpoint is stateless, so there is no SSE stream or session to end.</summary>
    [Function("McpOtherMethods")]
    public static StatusCodeHttpResult NotAllowed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "delete", Route = "api/mcp")] HttpRequest request) =>
        McpApi.NotAllowed(request.HttpContext);

    [Function("ProtectedResourceMetadata")]
    public Task<FileContentHttpResult> Metadata(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource")] HttpRequest request) =>
        ProtectedResourceApi.Metadata(request.HttpContext, mcp, auth);

    /// <summary>The path-suffixed form (RFC 9728 §3.1) of the metadata for the resource <c>/api/mcp</c>.</summary>
    [Function("ProtectedResourceMetadataForMcp")]
    public Task<FileContentHttpResult> MetadataForMcp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource/api/mcp")] HttpRequest request) =>
        ProtectedResourceApi.Metadata(request.HttpContext, mcp, auth);

    [Function("OpenApiDocument")]
    public Task<ContentHttpResult> OpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/openapi.json")] HttpRequest request) =>
        OpenApiDocumentApi.Document(request.HttpContext, description, mcp);
}
