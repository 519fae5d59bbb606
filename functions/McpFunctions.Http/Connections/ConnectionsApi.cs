using McpFunctions.Core.Connections;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Http.Connections;

/// <summary>Connect, inspect, list and disconnect a user's provider accounts.</summary>
public static class ConnectionsApi
{
    public const string ConnectRoute = "/api/mcp/{provider}/connect";
    public const string StatusRoute = "/api/mcp/{provider}/status";
    public const string DisconnectRoute = "/api/mcp/{provider}/disconnect";
    public const string ListRoute = "/api/mcp/connections";

    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(ConnectRoute, Connect).WithName("Connect");
        app.MapGet(StatusRoute, Status).WithName("Status");
        app.MapDelete(DisconnectRoute, Disconnect).WithName("Disconnect");
        app.MapGet(ListRoute, (Delegate)List).WithName("ListConnections");
        return app;
    }

    /// <summary>200 with the connection; 400 VALIDATION_ERROR / PROVIDER_REJECTED_CREDENTIAL; 404 PROVIDER_NOT_FOUND; 413; 502 PROVIDER_ERROR.</summary>
    public static Task<IResult> Connect(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "connect", provider, async (caller, ct) =>
        {
            // The provider is checked before the body is read, so a typo in the path is reported as such.
            _ = http.RequestServices.GetRequiredService<ProviderCatalog>().Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.ConnectRequest, ct);
            RequestLogScope.Of(http)?.NameAccount(body.Account);
            var connection = await http.RequestServices.GetRequiredService<ConnectApiKey>()
                .ExecuteAsync(caller, provider, body.ApiKey, body.Account, ct);
            return TypedResults.Json(ConnectionView.Of(connection), McpJsonContext.Default.ConnectionView);
        });

    /// <summary>200 with <c>connected</c> true or false; 404 PROVIDER_NOT_FOUND; 409 CREDENTIAL_DECRYPT_FAILED.</summary>
    public static Task<IResult> Status(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "status", provider, async (caller, ct) =>
        {
            var account = AccountName.Normalize(QueryAccount(http));
            var connection = await http.RequestServices.GetRequiredService<GetConnections>().StatusAsync(caller, provider, account, ct);
            var view = connection is null ? ConnectionView.NotConnected(provider, account) : ConnectionView.Of(connection);
            return TypedResults.Json(view, McpJsonContext.Default.ConnectionView);
        });

    /// <summary>200 saying whether a connection was deleted and what revocation at the provider achieved; 404 PROVIDER_NOT_FOUND.</summary>
    public static Task<IResult> Disconnect(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "disconnect", provider, async (caller, ct) =>
        {
            var result = await http.RequestServices.GetRequiredService<Core.Connections.Disconnect>().ExecuteAsync(caller, provider, QueryAccount(http), ct);
            return TypedResults.Json(
                new DisconnectView(result.Provider, result.Account, result.Existed, result.Revocation), McpJsonContext.Default.DisconnectView);
        });

    /// <summary>200 with all of the caller's connections.</summary>
    public static Task<IResult> List(HttpContext http) =>
        ApiEndpoint.RunAsync(http, "list", null, async (caller, ct) =>
        {
            var connections = await http.RequestServices.GetRequiredService<GetConnections>().ListAsync(caller, ct);
            return TypedResults.Json(new ConnectionList([.. connections.Select(ConnectionView.Of)]), McpJsonContext.Default.ConnectionList);
        });

    private static string? QueryAccount(HttpContext http) =>
        http.Request.Query.TryGetValue("account", out var values) ? values.ToString() : null;
}
