using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;

namespace McpFunctions.Core.OAuth;

/// <summary>What a refresh attempt left behind.</summary>
public enum RefreshResult
{
    /// <summary>We refreshed; <see cref="RefreshOutcome.Credential"/> holds the new tokens.</summary>
    Refreshed,

    /// <summary>Nothing to do: another caller or instance refreshed first, or the token was not due.</summary>
    NotNeeded,

    /// <summary>The refresh failed for now (or is backing off); the stored token may still be valid.</summary>
    Unavailable,

    /// <summary>The provider refused the grant: the connection is needs_reauth.</summary>
    NeedsReauth,

    /// <summary>The connection no longer exists.</summary>
    Missing,
}

/// <param name="Stored">The connection as stored after the attempt; null when <see cref="RefreshResult.Missing"/>.</param>
/// <param name="Credential">The fresh credential when <see cref="RefreshResult.Refreshed"/>; null otherwise.</param>
/// <param name="Reason">Why it failed (<c>http_503</c>, <c>invalid_grant</c>, ...); never a secret.</param>
public sealed record RefreshOutcome(RefreshResult Result, StoredConnection? Stored, Credential? Credential = null, string? Reason = null);
