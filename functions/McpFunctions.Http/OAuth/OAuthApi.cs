using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.OAuth;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.OAuth;

/// <summary>Connecting accounts by OAuth 2.0: start, the provider's callback, the chat backend's confirmation, and the
/// trusted token endpoint.</summary>
public static class OAuthApi
{
    public const string AuthorizeRoute = "/api/mcp/{provider}/authorize";
    public const string CallbackRoute = "/api/oauth/callback";
    public const string CompleteRoute = "/api/mcp/{provider}/complete";
    public const string TokenRoute = "/api/mcp/{provider}/token";

    public static RouteGroupBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("OAuth");
        api.MapPost(AuthorizeRoute, Authorize).WithName("Authorize").Authenticated().AcceptsJson<AuthorizeRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge);
        api.MapGet(CallbackRoute, Callback).WithName("OAuthCallback").AllowAnonymous()
            .Produces(StatusCodes.Status302Found)
            .Produces(StatusCodes.Status400BadRequest, contentType: "text/html")
            .ProducesProblems(StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable);
        api.MapPost(CompleteRoute, Complete).WithName("Complete").Authenticated().AcceptsJson<CompleteRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge);
        api.MapPost(TokenRoute, Token).WithName("Token").Authenticated()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        return api;
    }

    /// <summary>The provider's authorization URL for this user (PKCE and state included).</summary>
    public static Task<Results<Ok<AuthorizeResponse>, ApiProblemResult>> Authorize(
        HttpContext http, string provider, [FromServices] OAuthProviders providers, [FromServices] StartAuthorization start) =>
        ApiEndpoint.RunAsync(http, "authorize", provider, async (caller, ct) =>
        {
            _ = providers.Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.AuthorizeRequest, ct);
            RequestLogScope.Of(http)?.NameAccount(body.Account);
            Uri? returnUrl = null;
            if (body.ReturnUrl is not null && !Uri.TryCreate(body.ReturnUrl, UriKind.Absolute, out returnUrl))
            {
                throw new McpFunctionsException(ErrorCode.ValidationError, "return_url must be an absolute URL.");
            }

            var started = await start.ExecuteAsync(caller, provider, body.Account, returnUrl, body.Scopes, ct);
            NoStore(http);
            return TypedResults.Ok(new AuthorizeResponse(started.AuthorizationUrl, started.ExpiresAt));
        });

    /// <summary>Anonymous: the user's browser. 302 to the return URL, or 400 with an HTML page when the state cannot be trusted.</summary>
    public static async Task<Results<RedirectHttpResult, ContentHttpResult, ApiProblemResult>> Callback(
        HttpContext http, [FromServices] HandleCallback handle, [FromServices] ILoggerFactory loggers)
    {
        NoStore(http);
        // The callback URL carries the code: keep it out of any Referer the next page would send.
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var answer = await ApiEndpoint.GuardAsync(http, loggers.CreateLogger("McpFunctions.OAuth"), "oauth_callback", async () =>
        {
            var query = http.Request.Query;
            if (query.Any(p => p.Value.Count > 1))
            {
                return (Results<RedirectHttpResult, ContentHttpResult>)ErrorPage(
                    ErrorCode.OauthStateInvalid, "The authorization response repeats a parameter. Start connecting again from the chat.");
            }

            var request = new CallbackRequest(Single(query, "state"), Single(query, "code"), Single(query, "error"), Single(query, "error_description"));
            var outcome = await handle.ExecuteAsync(request, http.RequestAborted);
            return outcome switch
            {
                CallbackOutcome.Redirect redirect => TypedResults.Redirect(redirect.Location.AbsoluteUri),
                CallbackOutcome.Invalid invalid => (Results<RedirectHttpResult, ContentHttpResult>)ErrorPage(invalid.Code, invalid.Message),
                _ => throw new InvalidOperationException($"Unhandled callback outcome {outcome.GetType().Name}."),
            };
        });
        return answer.Result switch
        {
            Results<RedirectHttpResult, ContentHttpResult> { Result: RedirectHttpResult redirect } => redirect,
            Results<RedirectHttpResult, ContentHttpResult> { Result: ContentHttpResult page } => page,
            ApiProblemResult problem => problem,
            _ => throw new InvalidOperationException("Unhandled callback answer."),
        };
    }

    /// <summary>Activates the connection the callback parked, for the same user only.</summary>
    public static Task<Results<Ok<ConnectionView>, ApiProblemResult>> Complete(
        HttpContext http, string provider, [FromServices] OAuthProviders providers, [FromServices] CompleteConnection complete) =>
        ApiEndpoint.RunAsync(http, "complete", provider, async (caller, ct) =>
        {
            _ = providers.Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.CompleteRequest, ct);
            var connection = await complete.ExecuteAsync(caller, provider, body.Code, ct);
            return TypedResults.Ok(ConnectionView.Of(connection));
        });

    /// <summary>A fresh access token, for trusted callers only: off by default, and the caller needs the configured role.</summary>
    public static Task<Results<Ok<TokenResponse>, ApiProblemResult>> Token(
        HttpContext http,
        string provider,
        [FromQuery] string? account,
        [FromServices] IOptions<TokenEndpointOptions> settings,
        [FromServices] OAuthProviders providers,
        [FromServices] ResolveCredential resolve) =>
        ApiEndpoint.RunAsync(http, "token", provider, async (caller, ct) =>
        {
            var options = settings.Value;
            if (!options.Enabled)
            {
                throw new McpFunctionsException(ErrorCode.Forbidden, "The token endpoint is disabled in this deployment (TokenEndpoint__Enabled).");
            }

            if (!caller.Has(options.RequiredRole))
            {
                throw new McpFunctionsException(ErrorCode.Forbidden, $"The token endpoint needs the '{options.RequiredRole}' role or scope in the caller's token.");
            }

            var descriptor = providers.Get(provider).Descriptor;
            var resolved = await resolve.ExecuteAsync(caller, descriptor, account, ct);
            var connection = resolved.Stored.Connection;
            if (connection.AuthType != AuthType.OAuth2 || resolved.Credential.AccessToken is not { } accessToken)
            {
                throw new McpFunctionsException(ErrorCode.ValidationError, $"The {descriptor.DisplayName} connection '{connection.Key.Account}' is not an OAuth connection.");
            }

            NoStore(http);
            return TypedResults.Ok(
                new TokenResponse(connection.Key.Provider, connection.Key.Account, accessToken, resolved.Credential.TokenType ?? "Bearer", connection.ExpiresAt));
        });

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && value.Count == 1 ? value[0] : null;

    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
    }

    /// <summary>A page for a person: no return URL can be trusted, so there is nowhere to redirect.</summary>
    private static ContentHttpResult ErrorPage(ErrorCode code, string message)
    {
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Connection failed</title></head>
            <body><h1>Connection failed</h1><p>{WebUtility.HtmlEncode(message)}</p><p><code>{code.ToWire()}</code></p></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: Problems.StatusOf(code));
    }
}
