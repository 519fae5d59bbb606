using System.Text.Json.Nodes;
using McpFunctions.Http.Composition;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace McpFunctions.Http.ApiDocs;

/// <summary>The OpenAPI 3.1 document of our HTTP API, generated from the route map both hosts share.</summary>
/// <remarks>The Function App has no ASP.NET Core routing (its functions call the handlers), so the document is not
/// read from the serving host's endpoints: a description-only application maps the same routes
/// (<see cref="McpFunctionsRegistration.MapMcpFunctions"/>) and Microsoft.AspNetCore.OpenApi describes them. It is never
/// started and holds no services of ours, so both hosts serve the same document. Built once, on first request.</remarks>
public sealed class ApiDescription
{
    public const string DocumentName = "v1";
    public const string BearerScheme = "Bearer";

    private readonly Lazy<Task<string>> _document = new(RenderAsync);

    /// <summary>The document as JSON, without <c>servers</c> (they depend on the request; see <see cref="WithServer"/>).</summary>
    public Task<string> JsonAsync() => _document.Value;

    /// <summary>The document naming <paramref name="publicBase"/> as its one server, so a generated client needs no base URL.</summary>
    public static string WithServer(string document, Uri publicBase)
    {
        var root = JsonNode.Parse(document)!.AsObject();
        var servers = new JsonArray(new JsonObject { ["url"] = publicBase.GetLeftPart(UriPartial.Authority) });
        // After openapi and info, where readers of the document look for it.
        var ordered = new JsonObject();
        foreach (var (name, value) in root.ToList())
        {
            root.Remove(name);
            ordered[name] = value;
            if (name == "info")
            {
                ordered["servers"] = servers;
            }
        }

        return ordered.ToJsonString();
    }

    private static async Task<string> RenderAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "McpFunctions" });
        // WebApplication needs a server to be built; this one is never started.
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRouting();
        builder.Services.AddHttpJson();
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "McpFunctions",
                    Version = "1.0",
                    Description = "Connect each user's accounts (OAuth 2.0 + PKCE, API keys) and call their tools over MCP with that user's credential. "
                        + "Errors are RFC 9457 problem details with a stable `code`.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [BearerScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        BearerFormat = "JWT",
                        Description = "The chat backend's JWT for the end user (tenant and user claims).",
                    },
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                }

                return Task.CompletedTask;
            });
        });

        await using var app = builder.Build();
        app.MapMcpFunctions();
        // What starting the app would do: hand the mapped routes to routing, where API Explorer reads them.
        app.UseRouting();
        app.UseEndpoints(_ => { });
        var document = await app.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync();
        return await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1);
    }
}
