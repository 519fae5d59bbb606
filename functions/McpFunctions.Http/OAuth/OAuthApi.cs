using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.OAuth;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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

    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(AuthorizeRoute, Authorize).WithName("Authorize");
        app.MapGet(CallbackRoute, (Delegate)Callback).WithName("OAuthCallback");
        app.MapPost(CompleteRoute, Complete).WithName("Complete");
        app.MapPost(TokenRoute, Token).WithName("Token");
        return app;
    }

    /// <summary>200 with the provider's authorization URL; 400 RETURN_URL_NOT_ALLOWED / VALIDATION_ERROR; 404; 409 OAUTH_NOT_CONFIGURED.</summary>
    public static Task<IResult> Authorize(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "authorize", provider, async (caller, ct) =>
        {
            _ = http.RequestServices.GetRequiredService<OAuthProviders>().Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.AuthorizeRequest, ct);
            RequestLogScope.Of(http)?.NameAccount(body.Account);
            Uri? returnUrl = null;
            if (body.ReturnUrl is not null && !Uri.TryCreate(body.ReturnUrl, UriKind.Absolute, out returnUrl))
            {
                throw new McpFunctionsException(ErrorCode.ValidationError, "return_url must be an absolute URL.");
            }

            var start = await http.RequestServices.GetRequiredService<StartAuthorization>()
                .ExecuteAsync(caller, provider, body.Account, returnUrl, body.Scopes, ct);
            NoStore(http);
            return TypedResults.Json(new AuthorizeResponse(start.AuthorizationUrl, start.ExpiresAt), McpJsonContext.Default.AuthorizeResponse);
        });

    /// <summary>Anonymous: the user's browser. 302 to the return URL, or 400 with an HTML page when the state cannot be trusted.</summary>
    public static async Task<IResult> Callback(HttpContext http)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("McpFunctions.OAuth");
        NoStore(http);
        // The callback URL carries the code: keep it out of any Referer the next page would send.
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return await ApiEndpoint.GuardAsync(http, logger, "oauth_callback", async () =>
        {
            var query = http.Request.Query;
            if (query.Any(p => p.Value.Count > 1))
            {
                return ErrorPage(ErrorCode.OauthStateInvalid, "The authorization response repeats a parameter. Start connecting again from the chat.");
            }

            var request = new CallbackRequest(Single(query, "state"), Single(query, "code"), Single(query, "error"), Single(query, "error_description"));
            var outcome = await http.RequestServices.GetRequiredService<HandleCallback>().ExecuteAsync(request, http.RequestAborted);
            return outcome switch
            {
                CallbackOutcome.Redirect redirect => TypedResults.Redirect(redirect.Location.AbsoluteUri),
                CallbackOutcome.Invalid invalid => ErrorPage(invalid.Code, invalid.Message),
                _ => throw new InvalidOperationException($"Unhandled callback outcome {outcome.GetType().Name}."),
            };
        });
    }

    /// <summary>200 with the activated connection; 400 OAUTH_STATE_INVALID (unknown, used, expired or another user's code).</summary>
    public static Task<IResult> Complete(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "complete", provider, async (caller, ct) =>
        {
            _ = http.RequestServices.GetRequiredService<OAuthProviders>().Get(provider);
            var body = await RequestBody.ReadJsonAsync(http.Request, McpJsonContext.Default.CompleteRequest, ct);
            var connection = await http.RequestServices.GetRequiredService<CompleteConnection>().ExecuteAsync(caller, provider, body.Code, ct);
            return TypedResults.Json(ConnectionView.Of(connection), McpJsonContext.Default.ConnectionView);
        });

    /// <summary>200 with a fresh access token, for trusted callers only; 403 FORBIDDEN when disabled or the role is missing.</summary>
    public static Task<IResult> Token(HttpContext http, string provider) =>
        ApiEndpoint.RunAsync(http, "token", provider, async (caller, ct) =>
        {
            var options = http.RequestServices.GetRequiredService<IOptions<TokenEndpointOptions>>().Value;
            if (!options.Enabled)
            {
                throw new McpFunctionsException(ErrorCode.Forbidden, "The token endpoint is disabled in this deployment (TokenEndpoint__Enabled).");
            }

            if (!caller.Has(options.RequiredRole))
            {
                throw new McpFunctionsException(ErrorCode.Forbidden, $"The token endpoint needs the '{options.RequiredRole}' role or scope in the caller's token.");
            }

            var descriptor = http.RequestServices.GetRequiredService<OAuthProviders>().Get(provider).Descriptor;
            var account = http.Request.Query.TryGetValue("account", out var values) ? values.ToString() : null;
            var resolved = await http.RequestServices.GetRequiredService<ResolveCredential>().ExecuteAsync(caller, descriptor, account, ct);
            var connection = resolved.Stored.Connection;
            if (connection.AuthType != AuthType.OAuth2 || resolved.Credential.AccessToken is not { } accessToken)
            {
                throw new McpFunctionsException(ErrorCode.ValidationError, $"The {descriptor.DisplayName} connection '{connection.Key.Account}' is not an OAuth connection.");
            }

            NoStore(http);
            return TypedResults.Json(
                new TokenResponse(connection.Key.Provider, connection.Key.Account, accessToken, resolved.Credential.TokenType ?? "Bearer", connection.ExpiresAt),
                McpJsonContext.Default.TokenResponse);
        });

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && value.Count == 1 ? value[0] : null;

    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
    }

    /// <summary>A page for a person: no return URL can be trusted, so there is nowhere to redirect.</summary>
    private static IResult ErrorPage(ErrorCode code, string message)
    {
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Connection failed</title></head>
            <body><h1>Connection failed</h1><p>{WebUtility.HtmlEncode(message)}</p><p><code>{code.ToWire()}</code></p></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: Problems.StatusOf(code));
    }
}
