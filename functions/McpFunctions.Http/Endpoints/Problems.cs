using McpFunctions.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Endpoints;

/// <summary>The one way errors leave the HTTP API: problem+json with a stable code.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.AuthInvalidToken => StatusCodes.Status401Unauthorized,
        ErrorCode.Forbidden or ErrorCode.OriginNotAllowed => StatusCodes.Status403Forbidden,
        ErrorCode.ValidationError or ErrorCode.ProviderRejectedCredential or ErrorCode.ReturnUrlNotAllowed
            or ErrorCode.OauthStateInvalid or ErrorCode.OauthDenied => StatusCodes.Status400BadRequest,
        ErrorCode.OauthNotConfigured or ErrorCode.KeyRotationUnsupported => StatusCodes.Status409Conflict,
        ErrorCode.OauthExchangeFailed => StatusCodes.Status502BadGateway,
        ErrorCode.RefreshUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCode.ProviderNotFound or ErrorCode.NotConnected => StatusCodes.Status404NotFound,
        ErrorCode.CredentialDecryptFailed or ErrorCode.ConcurrencyConflict => StatusCodes.Status409Conflict,
        ErrorCode.ProviderError => StatusCodes.Status502BadGateway,
        ErrorCode.ServiceUnavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static ApiProblemResult Of(McpFunctionsException exception) => Of(exception.Code, exception.Message, exception.ProviderStatus);

    public static ApiProblemResult Of(ErrorCode code, string detail, int? providerStatus = null)
    {
        var httpStatus = StatusOf(code);
        var wire = code.ToWire();
        var problem = new ApiProblem(
            Type: $"urn:mcpfunctions:error:{wire.ToLowerInvariant()}",
            Title: TitleOf(code),
            Status: httpStatus,
            Detail: detail,
            Code: wire,
            ProviderStatus: providerStatus);
        return ApiProblemResult.Of(problem);
    }

    private static string TitleOf(ErrorCode code) => code switch
    {
        ErrorCode.AuthInvalidToken => "Invalid or missing bearer token",
        ErrorCode.ValidationError => "Invalid request",
        ErrorCode.PayloadTooLarge => "Request body too large",
        ErrorCode.ProviderNotFound => "Unknown provider",
        ErrorCode.NotConnected => "Not connected",
        ErrorCode.ProviderRejectedCredential => "The provider rejected the credential",
        ErrorCode.ProviderError => "The provider failed",
        ErrorCode.CredentialDecryptFailed => "Stored credential cannot be decrypted",
        ErrorCode.ConcurrencyConflict => "Concurrent update conflict",
        ErrorCode.ServiceUnavailable => "Service unavailable",
        ErrorCode.Forbidden => "Not allowed",
        ErrorCode.OauthNotConfigured => "OAuth is not configured for this provider",
        ErrorCode.ReturnUrlNotAllowed => "Return URL not allowed",
        ErrorCode.OauthStateInvalid => "Unknown, used or expired authorization",
        ErrorCode.OauthDenied => "The user or provider denied the authorization",
        ErrorCode.OauthExchangeFailed => "The provider's token endpoint failed",
        ErrorCode.RefreshUnavailable => "The token cannot be refreshed right now",
        ErrorCode.KeyRotationUnsupported => "This key ring cannot add key versions",
        ErrorCode.OriginNotAllowed => "Origin not allowed",
        _ => "Internal error",
    };
}
