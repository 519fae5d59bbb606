using McpFunctions.Http.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.ApiDocs;

/// <summary>Anonymous <c>GET /api/openapi.json</c>: the machine-readable description of this API.</summary>
public static class OpenApiDocumentApi
{
    public const string Route = "/api/openapi.json";

    public static RouteGroupBuilder MapOpenApiDocumentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("API description").AllowAnonymous();
        api.MapGet(Route, Document).WithName("OpenApiDocument").ExcludeFromDescription();
        return api;
    }

    public static async Task<ContentHttpResult> Document(
        HttpContext http, [FromServices] ApiDescription description, [FromServices] IOptions<McpOptions> mcp)
    {
        var document = ApiDescription.WithServer(await description.JsonAsync(), ProtectedResourceApi.PublicBase(http, mcp.Value));
        return TypedResults.Text(document, "application/json; charset=utf-8");
    }
}
