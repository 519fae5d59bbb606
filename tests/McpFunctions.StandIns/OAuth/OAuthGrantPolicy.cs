namespace McpFunctions.StandIns.OAuth;

/// <summary>How one provider's authorization server issues, expires and rotates tokens.</summary>
internal sealed record OAuthGrantPolicy
{
    /// <summary>Null: access tokens never expire (Notion).</summary>
    public TimeSpan? AccessTokenLifetime { get; init; }

    /// <summary>Null: refresh tokens never expire by time (they still die when used or revoked).</summary>
    public TimeSpan? RefreshTokenLifetime { get; init; }

    /// <summary>RFC 6749 recommends at most 10 minutes; Notion and GitHub document 10.</summary>
    public TimeSpan CodeLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>GitHub: "once you use a refresh token, that refresh token and the old user access token will no longer work".</summary>
    public bool RefreshEndsPreviousAccessTokens { get; init; }

    public required string AccessTokenPrefix { get; init; }

    public required int AccessTokenRandomLength { get; init; }

    public required string RefreshTokenPrefix { get; init; }

    public required int RefreshTokenRandomLength { get; init; }
}
