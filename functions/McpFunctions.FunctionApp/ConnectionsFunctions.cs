using McpFunctions.Core.Connections;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary><see cref="ConnectionsApi"/> behind HTTP triggers: connect, status, disconnect, list.</summary>
/// <remarks>Anonymous at the Functions level: every handler authenticates the caller's JWT itself.</remarks>
public sealed class ConnectionsFunctions(ProviderCatalog catalog, ConnectApiKey connect, GetConnections connections, Disconnect disconnect)
{
    [Function("Connect")]
    public Task<Results<Ok<ConnectionView>, ApiProblemResult>> Connect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/connect")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Connect(request.HttpContext, provider, catalog, connect);

    [Function("Status")]
    public Task<Results<Ok<ConnectionView>, ApiProblemResult>> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mcp/{provider}/status")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Status(request.HttpContext, provider, request.Query["account"], connections);

    [Function("Disconnect")]
    public Task<Results<Ok<DisconnectView>, ApiProblemResult>> Disconnect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/mcp/{provider}/disconnect")] HttpRequest request,
        string provider) =>
        ConnectionsApi.Disconnect(request.HttpContext, provider, request.Query["account"], disconnect);

    [Function("ListConnections")]
    public Task<Results<Ok<ConnectionList>, ApiProblemResult>> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mcp/connections")] HttpRequest request) =>
        ConnectionsApi.List(request.HttpContext, connections);
}
