using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>Refresh ahead of expiry, on demand and from the sweep, against the real authorization server with rotating
/// refresh tokens: a refresh token presented twice would revoke the grant, so "exactly once" is checked by the server.</summary>
public sealed class TokenLifecycleTests : IAsyncLifetime
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(2);

    private OAuthRig rig = null!;
    private WebhookReceiver receiver = null!;

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        rig = await OAuthRig.StartAsync(
            new OAuthServerOptions { AccessTokenLifetime = TokenLifetime },
            s =>
            {
                s["WEBHOOK_URL"] = receiver.Url.ToString();
                s["WEBHOOK_HMAC_SECRET"] = "webhook-secret-for-token-lifecycle-tests-0123456789";
                s["TokenEndpoint:Enabled"] = "true";
                s["TokenEndpoint:RequiredRole"] = "Tokens.Read";
                s["Refresh:BackoffBaseSeconds"] = "1";
                s["Refresh:BackoffMaxSeconds"] = "2";
            });
    }

    public async Task DisposeAsync()
    {
        await rig.DisposeAsync();
        await receiver.DisposeAsync();
    }

    [Fact]
    public async Task ExpiredToken_ConcurrentToolCalls_RefreshOnce_AndKeepTheRotatedToken()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (before, old) = await rig.StoredAsync("acme", user);
        await WaitUntilExpiredAsync(before);
        await rig.Server.ResetStatsAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool)));

        Assert.All(results, r => Assert.False(McpRpc.IsError(r), McpRpc.Text(r)));
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(1, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(0, stats.GrantErrors);
        var (after, fresh) = await rig.StoredAsync("acme", user);
        Assert.NotEqual(old.RefreshToken, fresh.RefreshToken);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, fresh.RefreshToken!));
        Assert.True(after.ExpiresAt > before.ExpiresAt);
        Assert.True(after.LastRefreshedAt > before.LastRefreshedAt);
        Assert.Null(after.RefreshLease);
        Assert.DoesNotContain(fresh.AccessToken!, rig.Host.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(fresh.RefreshToken!, rig.Host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedGrant_InvalidGrant_NeedsReauth_Webhook_AndUrlElicitation()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, credential) = await rig.StoredAsync("acme", user);
        Assert.Equal(HttpStatusCode.OK, await rig.Server.RevokeAsync(rig.Client, credential.RefreshToken!, "refresh_token"));

        // The revoked access token gets 401 at the provider; the forced refresh meets invalid_grant.
        var first = await McpRpc.CallAsync(rig.Host, token, "tools/call", $$$"""{"name":"{{{OAuthRig.Tool}}}","arguments":{}}""");

        Assert.Equal(-32042, first.GetProperty("error").GetProperty("code").GetInt32());
        var (connection, _) = await rig.StoredAsync("acme", user);
        Assert.Equal(ConnectionStatus.NeedsReauth, connection.Status);
        Assert.Equal("invalid_grant", connection.LastRefreshError);
        var hooks = await receiver.WaitForAsync(2);
        var needsReauth = Assert.Single(hooks, h => h.Header("X-McpFunctions-Event") == "connection.needs_reauth");
        Assert.Contains(user, needsReauth.BodyText, StringComparison.Ordinal);
        Assert.Contains("invalid_grant", needsReauth.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.RefreshToken!, needsReauth.BodyText, StringComparison.Ordinal);

        var next = await McpRpc.CallAsync(rig.Host, token, "tools/call", $$$"""{"name":"{{{OAuthRig.Tool}}}","arguments":{}}""");
        var elicitation = next.GetProperty("error").GetProperty("data").GetProperty("elicitations")[0];
        Assert.StartsWith(rig.Server.AuthorizeEndpoint.GetLeftPart(UriPartial.Path), elicitation.GetProperty("url").GetString(), StringComparison.Ordinal);
        using var status = await rig.Host.SendAsync(HttpMethod.Get, "/api/mcp/generic/status", token);
        Assert.Equal("needs_reauth", (await OAuthRig.ReadJsonAsync(status)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Sweep_RefreshesOnlyDueConnections_TwoSweepsAtOnceRefreshEachOnce()
    {
        var users = new List<(string User, string Token)>();
        for (var i = 0; i < 4; i++)
        {
            var user = NewUser();
            await rig.ConnectAsync(user.Token);
            users.Add(user);
        }

        // Two are due now; two are not (their refreshAfter is pushed into the future).
        var store = rig.Host.Services.GetRequiredService<IConnectionStore>();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1);
        var future = DateTimeOffset.UtcNow.AddHours(1);
        for (var i = 0; i < users.Count; i++)
        {
            var at = i < 2 ? past : future;
            await store.UpdateAsync(new ConnectionKey("acme", users[i].User, OAuthRig.ProviderId, "default"), c => c with { RefreshAfter = at, ExpiresAt = at.AddMinutes(1) }, CancellationToken.None);
        }

        var before = await Task.WhenAll(users.Select(u => rig.StoredAsync("acme", u.User)));
        await rig.Server.ResetStatsAsync();
        var sweep = rig.Host.Services.GetRequiredService<RefreshSweep>();

        var reports = await Task.WhenAll(sweep.SweepAsync(CancellationToken.None), sweep.SweepAsync(CancellationToken.None));

        var stats = await rig.Server.StatsAsync();
        Assert.Equal(2, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        // Both sweeps saw both due connections; in one process they share the refresh, across instances the lease does.
        Assert.All(reports, r => Assert.Equal(2, r.Due));
        Assert.All(reports, r => Assert.Equal(2, r.Refreshed + r.NotNeeded));
        var after = await Task.WhenAll(users.Select(u => rig.StoredAsync("acme", u.User)));
        for (var i = 0; i < users.Count; i++)
        {
            if (i < 2)
            {
                Assert.NotEqual(before[i].Credential.RefreshToken, after[i].Credential.RefreshToken);
                Assert.True(after[i].Connection.RefreshAfter > DateTimeOffset.UtcNow);
            }
            else
            {
                Assert.Equal(before[i].Connection.Credential, after[i].Connection.Credential);
            }
        }

        var idle = await sweep.SweepAsync(CancellationToken.None);
        Assert.Equal(0, idle.Due);
        Assert.Equal(1, idle.Queries);
    }

    [Fact]
    public async Task ProviderUnavailable_BacksOffWithoutMarking_ThenRecovers()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var key = new ConnectionKey("acme", user, OAuthRig.ProviderId, "default");
        var store = rig.Host.Services.GetRequiredService<IConnectionStore>();
        await store.UpdateAsync(key, c => c with { RefreshAfter = DateTimeOffset.UtcNow.AddMinutes(-1), ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(10) }, CancellationToken.None);
        await rig.Server.ResetStatsAsync();
        await rig.Server.InjectFaultsAsync("/token", 503, count: 2, retryAfterSeconds: 1);
        var sweep = rig.Host.Services.GetRequiredService<RefreshSweep>();

        var failed = await sweep.SweepAsync(CancellationToken.None);

        Assert.Equal(1, failed.Unavailable);
        var (afterFailure, _) = await rig.StoredAsync("acme", user);
        Assert.Equal(ConnectionStatus.Active, afterFailure.Status);
        Assert.Equal(1, afterFailure.RefreshFailureCount);
        Assert.Equal("temporarily_unavailable", afterFailure.LastRefreshError);
        Assert.True(afterFailure.NextRefreshAttemptAt > DateTimeOffset.UtcNow);
        // Out of the sweep's range until the next attempt: the query need not read it to filter it out.
        Assert.Equal(afterFailure.NextRefreshAttemptAt, afterFailure.RefreshAfter);
        Assert.Equal(0, (await sweep.SweepAsync(CancellationToken.None)).Due);

        await WaitUntilAsync(afterFailure.NextRefreshAttemptAt!.Value);
        Assert.Equal(1, (await sweep.SweepAsync(CancellationToken.None)).Unavailable);
        var (second, _) = await rig.StoredAsync("acme", user);
        Assert.Equal(2, second.RefreshFailureCount);
        Assert.Equal(ConnectionStatus.Active, second.Status);

        await WaitUntilAsync(second.NextRefreshAttemptAt!.Value);
        Assert.Equal(1, (await sweep.SweepAsync(CancellationToken.None)).Refreshed);

        var (recovered, _) = await rig.StoredAsync("acme", user);
        Assert.Equal(0, recovered.RefreshFailureCount);
        Assert.Null(recovered.LastRefreshError);
        Assert.Null(recovered.NextRefreshAttemptAt);
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(2, stats.FaultsServed);
        Assert.Equal(1, stats.RefreshTokenGrants);
        var hooks = await receiver.WaitForAsync(4);
        Assert.Equal(2, hooks.Count(h => h.Header("X-McpFunctions-Event") == "connection.refresh_failed" && h.BodyText.Contains(user, StringComparison.Ordinal)));
        Assert.Single(hooks, h => h.Header("X-McpFunctions-Event") == "connection.recovered" && h.BodyText.Contains(user, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExpiredTokenAndRefreshKeepsFailing_NeedsReauthAfterTheLimit()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var key = new ConnectionKey("acme", user, OAuthRig.ProviderId, "default");
        var store = rig.Host.Services.GetRequiredService<IConnectionStore>();
        await store.UpdateAsync(key, c => c with { RefreshAfter = DateTimeOffset.UtcNow.AddMinutes(-2), ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, CancellationToken.None);
        await rig.Server.InjectFaultsAsync("/token", 500, count: 10);
        var sweep = rig.Host.Services.GetRequiredService<RefreshSweep>();

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var (current, _) = await rig.StoredAsync("acme", user);
            Assert.Equal(ConnectionStatus.Active, current.Status);
            if (current.NextRefreshAttemptAt is { } next)
            {
                await WaitUntilAsync(next);
            }

            await sweep.SweepAsync(CancellationToken.None);
        }

        var (marked, _) = await rig.StoredAsync("acme", user);
        Assert.Equal(ConnectionStatus.NeedsReauth, marked.Status);
        Assert.Equal(3, marked.RefreshFailureCount);
        var result = await McpRpc.CallAsync(rig.Host, token, "tools/call", $$$"""{"name":"{{{OAuthRig.Tool}}}","arguments":{}}""");
        Assert.Equal(-32042, result.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task TokenEndpoint_RequiresTheRole_AndReturnsAFreshToken()
    {
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (before, _) = await rig.StoredAsync("acme", user);
        await WaitUntilExpiredAsync(before);

        using var plain = await rig.Host.SendAsync(HttpMethod.Post, "/api/mcp/generic/token", token);
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Equal("FORBIDDEN", (await OAuthRig.ReadJsonAsync(plain)).GetProperty("code").GetString());

        using var trusted = await rig.Host.SendAsync(HttpMethod.Post, "/api/mcp/generic/token", TestTokens.WithRoles(user, "acme", "Tokens.Read"));
        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);
        Assert.Equal("no-store", trusted.Headers.CacheControl?.ToString());
        var body = await OAuthRig.ReadJsonAsync(trusted);
        var accessToken = body.GetProperty("access_token").GetString()!;
        Assert.True(body.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, accessToken));
        Assert.DoesNotContain(accessToken, rig.Host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenEndpoint_OffByDefault()
    {
        await using var plain = await OAuthRig.StartAsync();

        using var response = await plain.Host.SendAsync(HttpMethod.Post, "/api/mcp/generic/token", TestTokens.WithRoles("u", "acme", "McpFunctions.TokenReader"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("disabled", (await OAuthRig.ReadJsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilExpiredAsync(Connection connection)
    {
        var wait = connection.ExpiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static async Task WaitUntilAsync(DateTimeOffset at)
    {
        var wait = at - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        return (user, TestTokens.For(user, "acme"));
    }
}
