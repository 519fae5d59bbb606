using McpFunctions.Adapters.Cosmos;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Http.Auth;
using McpFunctions.Http.Mcp;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Http.Endpoints;

/// <summary>What every authenticated endpoint does around its handler: authenticate, scope logs, map failures.</summary>
/// <remarks>A plain method rather than middleware or endpoint filters so that the Function App, which
/// hands us a bare HttpContext, runs exactly the same checks as the LocalHost.</remarks>
public static class ApiEndpoint
{
    public static async Task<Results<TResult, ApiProblemResult>> RunAsync<TResult>(
        HttpContext http,
        string operation,
        string? provider,
        Func<Caller, CancellationToken, Task<TResult>> handle)
        where TResult : IResult
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("McpFunctions.Api");
        var authentication = await services.GetRequiredService<CallerAuthenticator>().AuthenticateAsync(http.Request.Headers.Authorization);
        if (authentication.Caller is not { } caller)
        {
            logger.LogWarning("Rejected {Operation}: {AuthError}", operation, authentication.Error);
            return Unauthorized(http, authentication);
        }

        // Operations on a provider act on one account: the query's, or the default until a handler reads one from its body.
        var fields = new RequestLogScope(caller, operation, provider);
        if (provider is not null)
        {
            fields.NameAccount(http.Request.Query.TryGetValue("account", out var account) ? account.ToString() : null);
        }

        http.Features.Set(fields);
        using var scope = logger.BeginScope(fields);
        return await GuardAsync(http, logger, operation, () => handle(caller, http.RequestAborted));
    }

    /// <summary>401 with the RFC 6750 challenge, pointing MCP clients at our protected-resource metadata.</summary>
    public static ApiProblemResult Unauthorized(HttpContext http, Authentication authentication)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<McpOptions>>().Value;
        var metadata = ProtectedResourceApi.MetadataUrl(ProtectedResourceApi.PublicBase(http, options));
        var scopes = ProtectedResourceApi.Scopes(options);
        var scope = scopes.Count > 0 ? $", scope=\"{string.Join(' ', scopes)}\"" : "";
        http.Response.Headers.WWWAuthenticate =
            $"Bearer resource_metadata=\"{metadata}\"{scope}, error=\"{authentication.Error}\", error_description=\"{authentication.ErrorDescription}\"";
        return Problems.Of(ErrorCode.AuthInvalidToken, authentication.ErrorDescription!);
    }

    /// <summary>Maps failures to problem responses; used directly by anonymous endpoints.</summary>
    public static async Task<Results<TResult, ApiProblemResult>> GuardAsync<TResult>(
        HttpContext http, ILogger logger, string operation, Func<Task<TResult>> handle)
        where TResult : IResult
    {
        try
        {
            return await handle();
        }
        catch (McpFunctionsException ex) when (ex.ProviderStatus is { } status)
        {
            // The message quotes the provider's reply, and providers echo what they were sent: the status and our code
            // say what happened without repeating it. The caller, whose own provider answered, still gets the message.
            logger.LogWarning("{Operation} failed with {Code}: the provider answered HTTP {ProviderStatus}", operation, ex.Code.ToWire(), status);
            return Problems.Of(ex);
        }
        catch (McpFunctionsException ex)
        {
            logger.LogWarning("{Operation} failed with {Code}: {Detail}", operation, ex.Code.ToWire(), ex.Message);
            return Problems.Of(ex);
        }
        catch (Exception ex) when (StoreOutage.Is(ex))
        {
            logger.LogError(ex, "{Operation} failed: storage is unavailable", operation);
            http.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Of(ErrorCode.ServiceUnavailable, StoreOutage.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return ApiProblemResult.Abandoned;
        }
        catch (Exception ex)
        {
            // Exceptions here are ours or the SDKs'; none carries a credential (credentials only travel in
            // headers we build and in memory we own), so the exception is safe to log.
            logger.LogError(ex, "{Operation} failed unexpectedly", operation);
            return Problems.Of(ErrorCode.InternalError, "An unexpected error occurred; it has been logged.");
        }
    }
}
