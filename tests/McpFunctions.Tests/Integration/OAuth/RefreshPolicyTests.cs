using McpFunctions.Core.Connections;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>When a tool call refreshes first and with what, counted by the real authorization server: the provider's
/// refresh margin, a provider that sends no new refresh token, and a refresh that is backing off while the access
/// token still works.</summary>
public sealed class RefreshPolicyTests
{
    [Theory]
    [InlineData(300, 1)] // 2 minutes left, inside a 5-minute margin: refreshed before the call
    [InlineData(60, 0)] // 2 minutes left, outside a 1-minute margin: used as it is
    public async Task ToolCall_TokenValidForTwoMinutes_RefreshedFirstOnlyInsideTheMargin(int marginSeconds, int expectedGrants)
    {
        await using var rig = await OAuthRig.StartAsync(
            new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(2) },
            provider: new GenericProviderOptions { RefreshMarginSeconds = marginSeconds });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (before, old) = await rig.StoredAsync("acme", user);
        await rig.Server.ResetStatsAsync();

        var result = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);

        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(expectedGrants, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.GrantErrors);
        var (after, current) = await rig.StoredAsync("acme", user);
        if (expectedGrants == 0)
        {
            Assert.Equal(old.AccessToken, current.AccessToken);
            Assert.Equal(before.Credential, after.Credential);
        }
        else
        {
            // (expiresAt is kept to the second, so within a second of connecting it may not have moved.)
            Assert.NotEqual(old.AccessToken, current.AccessToken);
            Assert.NotEqual(old.RefreshToken, current.RefreshToken);
            Assert.True(await rig.Server.IsActiveAsync(rig.Client, current.AccessToken!));
        }
    }

    [Fact]
    public async Task RefreshAnswerWithoutRefreshToken_KeepsTheOriginal_AndTheNextRefreshUsesIt()
    {
        // A margin longer than the token's life: every call refreshes first.
        await using var rig = await OAuthRig.StartAsync(
            new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(1) },
            provider: new GenericProviderOptions { RefreshMarginSeconds = 300, RotateRefreshTokens = false });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, original) = await rig.StoredAsync("acme", user);
        await rig.Server.ResetStatsAsync();

        var first = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);
        var (_, afterFirst) = await rig.StoredAsync("acme", user);
        var second = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);
        var (connection, afterSecond) = await rig.StoredAsync("acme", user);

        Assert.False(McpRpc.IsError(first), McpRpc.Text(first));
        Assert.False(McpRpc.IsError(second), McpRpc.Text(second));
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(2, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokensRotated);
        Assert.Equal(0, stats.GrantErrors);
        Assert.Equal(original.RefreshToken, afterFirst.RefreshToken);
        Assert.Equal(original.RefreshToken, afterSecond.RefreshToken);
        Assert.NotEqual(original.AccessToken, afterFirst.AccessToken);
        Assert.NotEqual(afterFirst.AccessToken, afterSecond.AccessToken);
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.NotNull(connection.RefreshAfter);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, original.RefreshToken!));
    }

    [Fact]
    public async Task RefreshBackingOff_AccessTokenStillValid_ToolCallsKeepUsingIt()
    {
        await using var rig = await OAuthRig.StartAsync(
            new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(2) },
            provider: new GenericProviderOptions { RefreshMarginSeconds = 300 });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, original) = await rig.StoredAsync("acme", user);
        await rig.Server.ResetStatsAsync();
        await rig.Server.InjectFaultsAsync("/token", 503, count: 1);

        var failedRefresh = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);
        var (backingOff, afterFailure) = await rig.StoredAsync("acme", user);
        var duringBackoff = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);

        Assert.False(McpRpc.IsError(failedRefresh), McpRpc.Text(failedRefresh));
        Assert.False(McpRpc.IsError(duringBackoff), McpRpc.Text(duringBackoff));
        Assert.Equal(original.AccessToken, afterFailure.AccessToken);
        Assert.Equal(ConnectionStatus.Active, backingOff.Status);
        Assert.Equal(1, backingOff.RefreshFailureCount);
        Assert.Equal("temporarily_unavailable", backingOff.LastRefreshError);
        Assert.True(backingOff.NextRefreshAttemptAt > DateTimeOffset.UtcNow);
        // One token request in all (the failed one): the call during the backoff did not ask again.
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(1, stats.FaultsServed);
        Assert.Equal(0, stats.RefreshTokenGrants);
        var (afterBackoffCall, current) = await rig.StoredAsync("acme", user);
        Assert.Equal(original.AccessToken, current.AccessToken);
        Assert.Equal(1, afterBackoffCall.RefreshFailureCount);
    }

    [Fact]
    public async Task RefreshFailsWhileTheUserReconnects_TheNewConnectionWins_NothingMarked()
    {
        await using var rig = await OAuthRig.StartAsync(new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(2) });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var key = new ConnectionKey("acme", user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount);
        await rig.Server.InjectFaultsAsync("/token", 503, count: 1);
        var reconnected = false;
        var store = new ObservedStore(rig.Host.Services.GetStore())
        {
            // The refresh has failed and is about to record it: the user reconnects first, replacing the credential.
            BeforeReplace = async connection =>
            {
                if (connection.RefreshFailureCount > 0 && !reconnected)
                {
                    reconnected = true;
                    await rig.ConnectAsync(token);
                }
            },
        };
        var refresher = ActivatorUtilities.CreateInstance<TokenRefresher>(rig.Host.Services, store);
        var provider = rig.Host.Services.GetRequiredService<OAuthProviders>().Find(rig.Host.Services.GetRequiredService<ProviderCatalog>().Get(OAuthRig.ProviderId))!;
        var used = (await store.ReadLatestAsync(key, CancellationToken.None))!;

        var outcome = await refresher.RefreshRejectedAsync(provider, used, CancellationToken.None);

        Assert.True(reconnected);
        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        var (now, credential) = await rig.StoredAsync("acme", user);
        Assert.NotEqual(used.Connection.Credential, now.Credential);
        Assert.Equal(now.Credential, outcome.Stored!.Connection.Credential);
        Assert.Equal(ConnectionStatus.Active, now.Status);
        Assert.Equal(0, now.RefreshFailureCount);
        Assert.Null(now.NextRefreshAttemptAt);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.AccessToken!));
        var call = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);
        Assert.False(McpRpc.IsError(call), McpRpc.Text(call));
    }

    private static (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        return (user, TestTokens.For(user, "acme"));
    }
}
