namespace McpFunctions.StandIns.OAuth;

/// <summary>Why the token endpoint refused a grant; each stand-in turns it into its provider's error answer.</summary>
internal enum OAuthRefusal
{
    UnknownClient,
    WrongClientSecret,
    UnknownCode,
    CodeExpired,
    CodeAlreadyUsed,
    CodeOfAnotherClient,
    RedirectUriMismatch,
    CodeVerifierMissing,
    CodeVerifierMismatch,
    UnknownRefreshToken,
    RefreshTokenReused,
    RefreshTokenExpired,
    RefreshTokenOfAnotherClient,
    GrantRevoked,
}
