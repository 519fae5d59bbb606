using System.Collections.Concurrent;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;

namespace McpFunctions.Tests.Fixtures;

/// <summary>A token endpoint that answers refreshes as the test says and records every refresh token presented to it.</summary>
internal sealed class FakeTokenEndpoint : ITokenEndpoint
{
    private readonly ConcurrentQueue<string> presented = new();

    /// <summary>The answer to a refresh, given the refresh token presented. Unset, a refresh fails the test.</summary>
    public Func<string, Task<TokenResult>> OnRefresh { get; set; } =
        _ => throw new InvalidOperationException("The token endpoint was called, but the test expected no refresh.");

    public int RefreshCalls => presented.Count;

    public IReadOnlyList<string> RefreshTokensPresented => [.. presented];

    public Task<TokenResult> RefreshAsync(ProviderDescriptor provider, OAuthClientCredentials client, string refreshToken, CancellationToken cancellationToken)
    {
        presented.Enqueue(refreshToken);
        return OnRefresh(refreshToken);
    }

    /// <summary>Answers every refresh with the same result.</summary>
    public void Answer(TokenResult result) => OnRefresh = _ => Task.FromResult(result);

    public static TokenResult Granted(
        string accessToken, string? refreshToken, TimeSpan? expiresIn, TimeSpan? refreshTokenExpiresIn = null, IReadOnlyList<string>? scopes = null) =>
        new TokenResult.Granted(new TokenSet(accessToken, refreshToken, "Bearer", expiresIn, refreshTokenExpiresIn, scopes, new Dictionary<string, string>()));

    public Task<TokenResult> ExchangeCodeAsync(
        ProviderDescriptor provider, OAuthClientCredentials client, string code, string? codeVerifier, Uri redirectUri, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Refresh tests exchange no codes.");

    public Task<RevocationOutcome> RevokeAsync(ProviderDescriptor provider, OAuthClientCredentials client, Credential credential, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Refresh tests revoke nothing.");
}
