using System.Text.Json;

namespace McpFunctions.Core.Errors;

/// <summary>Stable error codes, written on the wire as UPPER_SNAKE (e.g. <c>NOT_CONNECTED</c>).</summary>
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
    OAuthNotConfigured,
    ReturnUrlNotAllowed,
    OAuthStateInvalid,
    OAuthDenied,
    OAuthExchangeFailed,
    RefreshUnavailable,
    KeyRotationUnsupported,
}

/// <summary>The wire form of <see cref="ErrorCode"/>.</summary>
public static class ErrorCodeWire
{
    public static string ToWire(this ErrorCode code) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(code.ToString());
}
