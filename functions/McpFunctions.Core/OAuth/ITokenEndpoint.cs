using McpFunctions.Core.Credentials;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.OAuth;

/// <summary>Port: a provider's token and revocation endpoints, spoken in the dialect its catalog entry names.</summary>
/// <remarks>Implementations never throw for provider answers or network failures (those are results) and
/// never put a token or secret in a log line or exception.</remarks>
public interface ITokenEndpoint
{
    Task<TokenResult> ExchangeCodeAsync(
        ProviderDescriptor provider, OAuthClientCredentials client, string code, string? codeVerifier, Uri redirectUri, CancellationToken cancellationToken);

    Task<TokenResult> RefreshAsync(ProviderDescriptor provider, OAuthClientCredentials client, string refreshToken, CancellationToken cancellationToken);

    Task<RevocationOutcome> RevokeAsync(ProviderDescriptor provider, OAuthClientCredentials client, Credential credential, CancellationToken cancellationToken);
}
