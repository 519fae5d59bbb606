namespace McpFunctions.StandIns.OAuth;

/// <summary>One user's consent to one client: every token issued from one authorization code belongs to it.</summary>
internal sealed class OAuthGrant
{
    public required string Id { get; init; }

    public required string ClientId { get; init; }

    /// <summary>The provider's user id of whoever consented.</summary>
    public required string Subject { get; init; }

    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>Provider data bound to the grant (Notion: the workspace and the integration's bot).</summary>
    public object? Tag { get; init; }

    public bool Revoked { get; set; }
}

/// <summary>What a successful grant hands out.</summary>
/// <param name="ExpiresIn">Null when the access token does not expire.</param>
/// <param name="RefreshExpiresIn">Null when there is no refresh token or it does not expire by time.</param>
internal sealed record OAuthIssue(OAuthGrant Grant, string AccessToken, string? RefreshToken, TimeSpan? ExpiresIn, TimeSpan? RefreshExpiresIn, DateTimeOffset IssuedAt);

/// <summary>The token endpoint's decision: tokens, or a refusal.</summary>
internal readonly record struct OAuthOutcome(OAuthIssue? Issue, OAuthRefusal? Refusal)
{
    public static implicit operator OAuthOutcome(OAuthIssue issue) => new(issue, null);

    public static implicit operator OAuthOutcome(OAuthRefusal refusal) => new(null, refusal);
}

/// <summary>An authorization request the (auto-consenting) user approved, waiting to be redeemed.</summary>
/// <param name="RedirectUri">As sent to the authorize endpoint; null when the client sent none (Notion, GitHub allow that).</param>
/// <param name="IssueRefreshToken">Qlik issues a refresh token only when <c>offline_access</c> was requested.</param>
internal sealed record OAuthConsent(
    string ClientId,
    string? RedirectUri,
    string Subject,
    IReadOnlyList<string> Scopes,
    string? CodeChallenge,
    bool IssueRefreshToken,
    object? Tag = null);
