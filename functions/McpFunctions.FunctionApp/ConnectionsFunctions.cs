using McpFunctions.Http.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary><see cref="ConnectionsApi"/> behind HTTP triggers: connect, status, disconnect, list.</summary>
/// <remarks>Anonymous at the Functions level: every handler authenticates the caller's JWT itself.</remarks>
public static class ConnectionsFunctions
{
    [Function("Connect")]
    public static Task<IResult> Connect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/connect")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Connect(request.HttpContext, provider);

    [Function("Status")]
    public static Task<IResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mcp/{provider}/status")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Status(request.HttpContext, provider);

    [Function("Disconnect")]
    public static Task<IResult> Disconnect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/mcp/{provider}/disconnect")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Disconnect(request.HttpContext, provider);

    [Function("ListConnections")]
    public static Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mcp/connections")] HttpRequest request) =>
        ConnectionsApi.List(request.HttpContext);
}
