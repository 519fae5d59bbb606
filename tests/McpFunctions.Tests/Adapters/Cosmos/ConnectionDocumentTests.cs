using McpFunctions.Adapters.Cosmos;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;

namespace McpFunctions.Tests.Adapters.Cosmos;

/// <summary>The document keeps times in whole epoch seconds; which way each rounds decides whether a stored time
/// errs on the safe side.</summary>
public sealed class ConnectionDocumentTests
{
    private static readonly DateTimeOffset Fraction = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_900);

    [Fact]
    public void NextRefreshAttemptAt_WithAFractionOfASecond_IsRoundedUp_NeverEarlierThanTheBackoff()
    {
        var stored = RoundTrip(Sample() with { NextRefreshAttemptAt = Fraction });

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_750_000_001), stored.NextRefreshAttemptAt);
    }

    [Fact]
    public void NextRefreshAttemptAt_OnAWholeSecond_IsKept()
    {
        var whole = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);

        Assert.Equal(whole, RoundTrip(Sample() with { NextRefreshAttemptAt = whole }).NextRefreshAttemptAt);
    }

    [Fact]
    public void ExpiryAndRefreshAfter_WithAFractionOfASecond_AreRoundedDown_RefreshingEarlyIsSafe()
    {
        var stored = RoundTrip(Sample() with { ExpiresAt = Fraction, RefreshAfter = Fraction, RefreshTokenExpiresAt = Fraction });

        var down = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);
        Assert.Equal(down, stored.ExpiresAt);
        Assert.Equal(down, stored.RefreshAfter);
        Assert.Equal(down, stored.RefreshTokenExpiresAt);
    }

    private static Connection RoundTrip(Connection connection) =>
        (ConnectionDocument.From(connection) with { ETag = "\"1\"" }).ToStored().Connection;

    private static Connection Sample() => new(
        new ConnectionKey("acme", "user-1", "generic", ConnectionKey.DefaultAccount),
        AuthType.OAuth2,
        ConnectionStatus.Active,
        new EncryptedCredential("local-1", "wrapped", "nonce", "ciphertext", "tag"),
        [],
        new Dictionary<string, string>(),
        DateTimeOffset.FromUnixTimeSeconds(1_749_000_000));
}
