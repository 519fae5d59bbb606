using System.Text.Json;
using McpFunctions.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Authentication;

namespace McpFunctions.Http.Mcp;

/// <summary>RFC 9728 protected resource metadata, which MCP clients fetch to find where to get a token.</summary>
public static class ProtectedResourceApi
{
    public const string Route = "/.well-known/oauth-protected-resource";

    public static RouteGroupBuilder MapProtectedResourceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("MCP").AllowAnonymous();
        // Both the root form and the path-suffixed form RFC 9728 §3.1 derives from the resource URL.
        api.MapGet(Route, Metadata).WithName("ProtectedResourceMetadata").Produces<JsonElement>();
        api.MapGet(Route + McpApi.Route, Metadata).WithName("ProtectedResourceMetadataForMcp").Produces<JsonElement>();
        return api;
    }

    /// <summary>The resource, its authorization servers and how to present a token.</summary>
    public static Task<FileContentHttpResult> Metadata(
        HttpContext http, [FromServices] IOptions<McpOptions> mcp, [FromServices] IOptions<AuthOptions> auth)
    {
        var options = mcp.Value;
        var publicBase = PublicBase(http, options);
        // Blank entries (an empty Mcp__AuthorizationServers__0) would advertise "" as a server: they mean "the default".
        var configured = options.AuthorizationServers.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        var servers = configured.Count > 0 ? configured : [auth.Value.Authority?.ToString() ?? auth.Value.Issuer!];
        var metadata = new ProtectedResourceMetadata
        {
            Resource = new Uri(publicBase, McpApi.Route).AbsoluteUri,
            AuthorizationServers = servers,
            BearerMethodsSupported = ["header"],
            ScopesSupported = [.. Scopes(options)],
            ResourceName = "McpFunctions",
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, McpProtocol.Wire.GetTypeInfo(typeof(ProtectedResourceMetadata)));
        return Task.FromResult(TypedResults.Bytes(json, "application/json"));
    }

    /// <summary>The configured scopes, blanks left out (an empty <c>Mcp__ScopesSupported__0</c> means none).</summary>
    public static IReadOnlyList<string> Scopes(McpOptions options) =>
        [.. options.ScopesSupported.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())];

    public static Uri PublicBase(HttpContext http, McpOptions options) =>
        options.PublicBaseUrl ?? new Uri($"{http.Request.Scheme}://{http.Request.Host}/");

    public static Uri MetadataUrl(Uri publicBase) => new(publicBase, Route + McpApi.Route);
}
