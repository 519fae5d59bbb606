using McpFunctions.Core.Credentials;

namespace McpFunctions.Core.OAuth;

/// <summary>What a token endpoint granted (RFC 6749 §5.1), read from its JSON answer.</summary>
/// <param name="RefreshToken">Null when the provider returned none; a refresh then keeps the previous one.</param>
/// <param name="ExpiresIn">Null when the provider says nothing (Notion's tokens do not expire).</param>
/// <param name="RefreshTokenExpiresIn">GitHub's <c>refresh_token_expires_in</c>, when given.</param>
/// <param name="Scopes">The granted scopes when the provider says; null means "as requested".</param>
/// <param name="Metadata">Values picked by the catalog's <c>tokenMetadata</c> (workspace, bot id, ...).</param>
public sealed record TokenSet(
    string AccessToken,
    string? RefreshToken,
    string TokenType,
    TimeSpan? ExpiresIn,
    TimeSpan? RefreshTokenExpiresIn,
    IReadOnlyList<string>? Scopes,
    IReadOnlyDictionary<string, string> Metadata)
{
    public override string ToString() => $"TokenSet {{ TokenType = {TokenType}, ExpiresIn = {ExpiresIn}, *** }}";

    /// <summary>The credential to store; a refresh without a new refresh token keeps <paramref name="previousRefreshToken"/>.</summary>
    public Credential ToCredential(string? previousRefreshToken = null) => new(
        AccessToken: AccessToken,
        RefreshToken: RefreshToken ?? previousRefreshToken,
        TokenType: TokenType);
}

/// <summary>The outcome of one token-endpoint request.</summary>
public abstract record TokenResult
{
    private TokenResult()
    {
    }

    public sealed record Granted(TokenSet Tokens) : TokenResult;

    /// <summary>The provider refused for good (<c>invalid_grant</c> and its provider-specific synonyms): the user must reconnect.</summary>
    public sealed record Rejected(string Error, string? Description) : TokenResult;

    /// <summary>Worth retrying later: network failure, timeout, 5xx, 429, or an error that is ours rather than the user's (<c>invalid_client</c>).</summary>
    public sealed record Failed(string Reason, int? Status, TimeSpan? RetryAfter) : TokenResult;
}

/// <summary>What a revocation at the provider achieved.</summary>
public enum RevocationOutcome
{
    Revoked,
    Failed,
    NotSupported,
}
