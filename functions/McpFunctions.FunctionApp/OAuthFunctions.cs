using McpFunctions.Core.Connections;
using McpFunctions.Core.OAuth;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.OAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.FunctionApp;

/// <summary>The OAuth 2.0 connection flow (<see cref="OAuthApi"/>): authorize, the provider's callback, completion by
/// the chat backend, and the trusted token endpoint.</summary>
/// <remarks>The callback's public URL, <c>https://&lt;app&gt;.azurewebsites.net/api/oauth/callback</c>, is the redirect
/// URI registered with each provider.</remarks>
public sealed class OAuthFunctions(
    OAuthProviders providers,
    StartAuthorization start,
    HandleCallback callback,
    CompleteConnection complete,
    ResolveCredential resolve,
    IOptions<TokenEndpointOptions> tokenEndpoint,
    ILoggerFactory loggers)
{
    [Function("OAuthAuthorize")]
    public Task<Results<Ok<AuthorizeResponse>, ApiProblemResult>> Authorize(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/authorize")] HttpRequest request,
        string provider) =>
        OAuthApi.Authorize(request.HttpContext, provider, providers, start);

    [Function("OAuthCallback")]
    public Task<Results<RedirectHttpResult, ContentHttpResult, ApiProblemResult>> Callback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/oauth/callback")] HttpRequest request) =>
        OAuthApi.Callback(request.HttpContext, callback, loggers);

    [Function("OAuthComplete")]
    public Task<Results<Ok<ConnectionView>, ApiProblemResult>> Complete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/complete")] HttpRequest request,
        string provider) =>
        OAuthApi.Complete(request.HttpContext, provider, providers, complete);

    [Function("OAuthToken")]
    public Task<Results<Ok<TokenResponse>, ApiProblemResult>> Token(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp/{provider}/token")] HttpRequest request,
        string provider) =>
        OAuthApi.Token(request.HttpContext, provider, request.Query["account"], tokenEndpoint, providers, resolve);
}
