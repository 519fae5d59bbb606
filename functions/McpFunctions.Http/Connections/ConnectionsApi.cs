using McpFunctions.Core.Connections;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace McpFunctions.Http.Connections;

/// <summary>Connect, inspect, list and disconnect a user's provider accounts.</summary>
public static class ConnectionsApi
{
    public const string ConnectRoute = "/api/mcp/{provider}/connect";
    public const string StatusRoute = "/api/mcp/{provider}/status";
    public const string DisconnectRoute = "/api/mcp/{provider}/disconnect";
    public const string ListRoute = "/api/mcp/connections";

    public static RouteGroupBuilder MapConnectionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Connections");
        api.MapPost(ConnectRoute, Connect).WithName("Connect").Authenticated().AcceptsJson<ConnectRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status502BadGateway);
        api.MapGet(StatusRoute, Status).WithName("Status").Authenticated()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        api.MapDelete(DisconnectRoute, Disconnect).WithName("Disconnect").Authenticated()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        api.MapGet(ListRoute, List).WithName("ListConnections").Authenticated();
        return api;
    }

    /// <summary>Stores an API key after the provider accepted it.</summary>
    public static Task<Results<Ok<ConnectionView>, ApiProblemResult>> Connect(
        HttpContext http, string provider, [FromServices] ProviderCatalog catalog, [FromServices] ConnectApiKey connect) =>
        ApiEndpoint.RunAsync(http, "connect", provider, async (caller, ct) =>
        {
            // The provider is checked before the body is read, so a typo in the path is reported as such.
            _ = catalog.Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.ConnectRequest, ct);
            RequestLogScope.Of(http)?.NameAccount(body.Account);
            var connection = await connect.ExecuteAsync(caller, provider, body.ApiKey, body.Account, ct);
            return TypedResults.Ok(ConnectionView.Of(connection));
        });

    /// <summary><c>connected</c> true or false for one account (<c>?account=</c>, else the default one).</summary>
    public static Task<Results<Ok<ConnectionView>, ApiProblemResult>> Status(
        HttpContext http, string provider, [FromQuery] string? account, [FromServices] GetConnections connections) =>
        ApiEndpoint.RunAsync(http, "status", provider, async (caller, ct) =>
        {
            var name = AccountName.Normalize(account);
            var connection = await connections.StatusAsync(caller, provider, name, ct);
            return TypedResults.Ok(connection is null ? ConnectionView.NotConnected(provider, name) : ConnectionView.Of(connection));
        });

    /// <summary>Whether a connection was deleted and what revocation at the provider achieved.</summary>
    public static Task<Results<Ok<DisconnectView>, ApiProblemResult>> Disconnect(
        HttpContext http, string provider, [FromQuery] string? account, [FromServices] Disconnect disconnect) =>
        ApiEndpoint.RunAsync(http, "disconnect", provider, async (caller, ct) =>
        {
            var result = await disconnect.ExecuteAsync(caller, provider, account, ct);
            return TypedResults.Ok(new DisconnectView(result.Provider, result.Account, result.Existed, result.Revocation));
        });

    /// <summary>All of the caller's connections.</summary>
    public static Task<Results<Ok<ConnectionList>, ApiProblemResult>> List(HttpContext http, [FromServices] GetConnections connections) =>
        ApiEndpoint.RunAsync(http, "list", null, async (caller, ct) =>
        {
            var all = await connections.ListAsync(caller, ct);
            return TypedResults.Ok(new ConnectionList([.. all.Select(ConnectionView.Of)]));
        });
}
