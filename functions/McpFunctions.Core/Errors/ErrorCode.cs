using System.Text.Json;

namespace McpFunctions.Core.Errors;

/// <summary>Stable error codes, written on the wire as UPPER_SNAKE (e.g. <c>NOT_CONNECTED</c>).</summary>
/// <remarks>"Oauth", not "OAuth", in member names: the wire form splits at every capital.</remarks>
public enum ErrorCode
{
    AuthInvalidToken,
    ValidationError,
    PayloadTooLarge,
    ProviderNotFound,
    NotConnected,
    NeedsReauth,
    ProviderRejectedCredential,
    ProviderError,
    CredentialDecryptFailed,
    ConcurrencyConflict,
    ServiceUnavailable,
    InternalError,
    Forbidden,
    OauthNotConfigured,
    ReturnUrlNotAllowed,
    OauthStateInvalid,
    OauthDenied,
    OauthExchangeFailed,
    RefreshUnavailable,
    KeyRotationUnsupported,
    OriginNotAllowed,
}

/// <summary>The wire form of <see cref="ErrorCode"/>.</summary>
public static class ErrorCodeWire
{
    public static string ToWire(this ErrorCode code) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(code.ToString());
}
