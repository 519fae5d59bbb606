using System.Diagnostics;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;

namespace McpFunctions.Bench;

/// <summary>Refresh requests a <see cref="TimedTokenEndpoint"/> forwarded, by outcome, and the time spent awaiting them.</summary>
public sealed record TokenEndpointCounts(long Refreshes, long Granted, long Rejected, long Failed, TimeSpan Wait)
{
    public TokenEndpointCounts Minus(TokenEndpointCounts start) => new(
        Refreshes - start.Refreshes, Granted - start.Granted, Rejected - start.Rejected, Failed - start.Failed, Wait - start.Wait);
}

/// <summary>Times the refresh requests of the real <see cref="ITokenEndpoint"/>: the sweep's wait on the OAuth server
/// (its HTTP exchange, including our HttpClient's share), told apart from the rest of a refresh.</summary>
public sealed class TimedTokenEndpoint(ITokenEndpoint inner) : ITokenEndpoint
{
    private long refreshes;
    private long granted;
    private long rejected;
    private long failed;
    private long ticks;

    public TokenEndpointCounts Snapshot() => new(
        Interlocked.Read(ref refreshes),
        Interlocked.Read(ref granted),
        Interlocked.Read(ref rejected),
        Interlocked.Read(ref failed),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref ticks)));

    public Task<TokenResult> ExchangeCodeAsync(
        ProviderDescriptor provider, OAuthClientCredentials client, string code, string? codeVerifier, Uri redirectUri, CancellationToken cancellationToken) =>
        inner.ExchangeCodeAsync(provider, client, code, codeVerifier, redirectUri, cancellationToken);

    public async Task<TokenResult> RefreshAsync(ProviderDescriptor provider, OAuthClientCredentials client, string refreshToken, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await inner.RefreshAsync(provider, client, refreshToken, cancellationToken);
        Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - started);
        Interlocked.Increment(ref refreshes);
        _ = result switch
        {
            TokenResult.Granted => Interlocked.Increment(ref granted),
            TokenResult.Rejected => Interlocked.Increment(ref rejected),
            _ => Interlocked.Increment(ref failed),
        };
        return result;
    }

    public Task<RevocationOutcome> RevokeAsync(ProviderDescriptor provider, OAuthClientCredentials client, Credential credential, CancellationToken cancellationToken) =>
        inner.RevokeAsync(provider, client, credential, cancellationToken);
}
