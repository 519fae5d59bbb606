using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Mcp;

/// <summary>A serialized JSON-RPC message with its content type and HTTP status (<c>TypedResults.Bytes</c> is always 200).</summary>
public sealed class McpReply(byte[] body, string contentType, int status) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => status;

    public string ContentType => contentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = contentType;
        httpContext.Response.ContentLength = body.Length;
        await httpContext.Response.Body.WriteAsync(body);
    }
}
