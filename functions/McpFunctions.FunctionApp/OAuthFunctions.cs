using McpFunctions.Http.OAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace McpFunctions.FunctionApp;

/// <summary>The OAuth 2.0 connection flow (<see cref="OAuthApi"/>): authorize, the provider's callback, completion by
/// the chat backend, and the trusted token endpoint.</summary>
/// <remarks>The callback's public URL, <c>https://&lt;app&gt;.azurewebsites.net/api/oauth/callback</c>, is the redirect
/// URI registered with each provider.</remarks>
public static class OAuthFunctions
{
    [Function("OAuthAuthorize")]
    public static Task<IResult> Authorize(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/authorize")] HttpRequest request,
        string provider) =>
        OAuthApi.Authorize(request.HttpContext, provider);

    [Function("OAuthCallback")]
    public static Task<IResult> Callback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/oauth/callback")] HttpRequest request) =>
        OAuthApi.Callback(request.HttpContext);

    [Function("OAuthComplete")]
    public static Task<IResult> Complete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/complete")] HttpRequest request,
        string provider) =>
        OAuthApi.Complete(request.HttpContext, provider);

    [Function("OAuthToken")]
    public static Task<IResult> Token(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/token")] HttpRequest request,
        string provider) =>
        OAuthApi.Token(request.HttpContext, provider);
}
