using System.Diagnostics.Metrics;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>The refresh sweep against the real authorization server (rotating refresh tokens, reuse revokes the grant):
/// connections it cannot refresh do not block the others; two hosts sweeping at once refresh each connection once; a
/// refresh token that would lapse makes a connection due even while its access token lasts.</summary>
public sealed class RefreshSweepTests
{
    private const string Tenant = "acme";

    [Fact]
    public async Task Sweep_MoreUnrefreshableDueThanABatch_RefreshesEveryRefreshableOneInOneRun()
    {
        await using var rig = await OAuthRig.StartAsync(configure: s => s["Refresh:SweepBatchSize"] = "3");
        var store = rig.Host.Services.GetStore();
        var protector = rig.Host.Services.GetProtector();
        var now = DateTimeOffset.UtcNow;

        var refreshable = new List<ConnectionKey>();
        for (var i = 0; i < 3; i++)
        {
            var user = NewUser();
            await rig.ConnectAsync(TestTokens.For(user, Tenant));
            var key = new ConnectionKey(Tenant, user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount);
            await store.UpdateAsync(key, c => c with { RefreshAfter = now.AddMinutes(-1) }, CancellationToken.None);
            refreshable.Add(key);
        }

        // Seven due connections the sweep cannot refresh, all due earlier than the refreshable ones, so they fill
        // the first pages of a query ordered by refreshAfter: a provider without an OAuth client in this deployment,
        // a provider no longer in the catalog, and credentials that do not decrypt (sealed for another connection).
        var stranger = await protector.ProtectAsync(new Credential(AccessToken: "a", RefreshToken: "r"), new ConnectionKey(Tenant, "someone-else", OAuthRig.ProviderId, "default"), CancellationToken.None);
        var stuck = new List<ConnectionKey>();
        foreach (var (provider, sealedForOther) in new[] { ("github", false), ("github", false), ("github", false), ("retired", false), ("retired", false), (OAuthRig.ProviderId, true), (OAuthRig.ProviderId, true) })
        {
            var key = new ConnectionKey(Tenant, NewUser(), provider, ConnectionKey.DefaultAccount);
            var credential = sealedForOther ? stranger : await protector.ProtectAsync(new Credential(AccessToken: "a", RefreshToken: "r"), key, CancellationToken.None);
            var connection = new Connection(
                key, AuthType.OAuth2, ConnectionStatus.Active, credential, [], new Dictionary<string, string>(), now.AddDays(-1),
                ExpiresAt: now.AddMinutes(10), RefreshAfter: now.AddHours(-1).AddMinutes(-stuck.Count));
            Assert.NotNull(await store.TryCreateAsync(connection, CancellationToken.None));
            stuck.Add(key);
        }

        var before = await Task.WhenAll(refreshable.Select(k => rig.StoredAsync(Tenant, k.UserId)));
        await rig.Server.ResetStatsAsync();
        var sweep = rig.Host.Services.GetRequiredService<RefreshSweep>();
        using var metrics = new MetricsRecorder(rig.Host.Services.GetRequiredService<IMeterFactory>());

        var report = await sweep.SweepAsync(CancellationToken.None);

        var stats = await rig.Server.StatsAsync();
        Assert.Equal(3, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(3, report.Refreshed);
        Assert.Equal(10, report.Due);
        Assert.Equal(5, report.Skipped);
        Assert.Equal(7, report.Deferred);
        // Operators see why connections wait, by provider: the sweep's log line only counts them.
        Assert.Equal(
            ["github:no_oauth_client", "github:no_oauth_client", "github:no_oauth_client", "retired:provider_not_in_catalog", "retired:provider_not_in_catalog"],
            metrics.Of("mcpfunctions.token.deferrals").Where(m => m.Tag("provider") != OAuthRig.ProviderId).Select(m => $"{m.Tag("provider")}:{m.Tag("reason")}").Order(StringComparer.Ordinal));
        Assert.Equal(2, metrics.Of("mcpfunctions.token.deferrals").Count(m => m.Tag("provider") == OAuthRig.ProviderId));
        var after = await Task.WhenAll(refreshable.Select(k => rig.StoredAsync(Tenant, k.UserId)));
        for (var i = 0; i < refreshable.Count; i++)
        {
            Assert.NotEqual(before[i].Credential.RefreshToken, after[i].Credential.RefreshToken);
            Assert.True(after[i].Connection.RefreshAfter > DateTimeOffset.UtcNow);
        }

        foreach (var key in stuck)
        {
            var deferred = (await store.ReadLatestAsync(key, CancellationToken.None))!.Connection;
            Assert.Equal(ConnectionStatus.Active, deferred.Status);
            Assert.Equal(1, deferred.RefreshDeferrals);
            Assert.True(deferred.RefreshAfter > DateTimeOffset.UtcNow, $"{key.Provider} {key.UserId} still due at {deferred.RefreshAfter:o}");
        }

        // The next sweep reads none of them again: the unrefreshable ones wait out a backoff.
        var next = await sweep.SweepAsync(CancellationToken.None);
        Assert.Equal(0, next.Due);
        Assert.Equal(1, next.Queries);
    }

    [Fact]
    public async Task Sweep_TwoHostsSweepTheSameDueConnectionsAtOnce_EachRefreshedExactlyOnce()
    {
        const int Due = 6;
        await using var rig = await OAuthRig.StartAsync();
        // A second LocalHost of the same deployment (same database, same key) with its own service graph: its own Cosmos
        // client, cache and refresher, so nothing but the lease on the documents keeps the two sweeps apart.
        await using var other = await TestHost.StartAsync(s =>
        {
            foreach (var (name, value) in rig.Settings)
            {
                s[name] = value;
            }

            s["COSMOS:databaseName"] = rig.Host.DatabaseName;
            s["MCP_ENCRYPTION_KEY"] = rig.Host.EncryptionKey;
        });
        var store = rig.Host.Services.GetStore();
        var keys = new List<ConnectionKey>();
        for (var i = 0; i < Due; i++)
        {
            var user = NewUser();
            await rig.ConnectAsync(TestTokens.For(user, Tenant));
            var key = new ConnectionKey(Tenant, user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount);
            await store.UpdateAsync(key, c => c with { RefreshAfter = DateTimeOffset.UtcNow.AddMinutes(-1) }, CancellationToken.None);
            keys.Add(key);
        }

        var before = await Task.WhenAll(keys.Select(k => rig.StoredAsync(Tenant, k.UserId)));
        await rig.Server.ResetStatsAsync();

        // Neither sweep writes (a lease is its first write) before both have read the same due connections: every
        // connection is then claimed by both, and only the ETag on the lease write can decide between them.
        var firstQueries = new[] { NewSignal(), NewSignal() };
        var bothQueried = Task.WhenAll(firstQueries.Select(q => q.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        var (leaseAttempts, writes) = (0, 0);
        RefreshSweep SweepOn(TestHost host, TaskCompletionSource queried)
        {
            var gated = new ObservedStore(host.Services.GetStore())
            {
                AfterQueryDue = _ =>
                {
                    queried.TrySetResult();
                    return Task.CompletedTask;
                },
                BeforeReplace = async connection =>
                {
                    await bothQueried;
                    if (connection.RefreshLease is not null)
                    {
                        Interlocked.Increment(ref leaseAttempts);
                    }
                },
                AfterReplace = _ =>
                {
                    Interlocked.Increment(ref writes);
                    return Task.CompletedTask;
                },
            };
            var refresher = ActivatorUtilities.CreateInstance<TokenRefresher>(host.Services, gated);
            return ActivatorUtilities.CreateInstance<RefreshSweep>(host.Services, gated, refresher);
        }

        var sweeps = new[] { SweepOn(rig.Host, firstQueries[0]), SweepOn(other, firstQueries[1]) };

        var reports = await Task.WhenAll(sweeps.Select(sweep => sweep.SweepAsync(CancellationToken.None)));

        var stats = await rig.Server.StatsAsync();
        Assert.Equal(Due, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(0, stats.GrantErrors);
        Assert.All(reports, r => Assert.Equal(Due, r.Due));
        Assert.All(reports, r => Assert.Equal(Due, r.Refreshed + r.NotNeeded));
        Assert.Equal(Due, reports.Sum(r => r.Refreshed));
        Assert.Equal(0, reports.Sum(r => r.Deferred));
        // Each connection: two lease writes on the ETag both sweeps read, one lost; the winner's lease and result stored.
        Assert.Equal(2 * Due, leaseAttempts);
        Assert.Equal(2 * Due, writes);
        var after = await Task.WhenAll(keys.Select(k => rig.StoredAsync(Tenant, k.UserId)));
        for (var i = 0; i < Due; i++)
        {
            Assert.NotEqual(before[i].Credential.RefreshToken, after[i].Credential.RefreshToken);
            Assert.True(await rig.Server.IsActiveAsync(rig.Client, after[i].Credential.RefreshToken!));
            Assert.Null(after[i].Connection.RefreshLease);
            Assert.True(after[i].Connection.RefreshAfter > DateTimeOffset.UtcNow);
        }
    }

    [Fact]
    public async Task Connect_LongLivedAccessTokenAndRefreshTokenIdleLimit_DueHalfWayThroughTheLimitAndSwept()
    {
        await using var rig = await OAuthRig.StartAsync(new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromDays(30) }, provider: new GenericProviderOptions { RefreshTokenIdleDays = 2 });

        // The catalog says an unused refresh token lapses after 2 days: due after 1, though the access token lasts 30.
        await ConnectThenSweepWhenDueAsync(rig, c => c.LastRefreshedAt!.Value.AddDays(1));
    }

    [Fact]
    public async Task Connect_LongLivedAccessTokenAndExpiringRefreshToken_DueADayBeforeTheLapseAndSwept()
    {
        await using var rig = await OAuthRig.StartAsync(new OAuthServerOptions
        {
            AccessTokenLifetime = TimeSpan.FromDays(30),
            RefreshTokenLifetime = TimeSpan.FromDays(3),
            ReportRefreshTokenExpiry = true,
        });

        // The token response says the refresh token lapses in 3 days (GitHub's refresh_token_expires_in): due after 2.
        await ConnectThenSweepWhenDueAsync(rig, c =>
        {
            Assert.Equal(c.LastRefreshedAt!.Value.AddDays(3), c.RefreshTokenExpiresAt);
            return c.RefreshTokenExpiresAt!.Value.AddDays(-1);
        });
    }

    /// <summary>Connects through the real flow and checks the stored refreshAfter; then sweeps on a clock set just before it
    /// (nothing due) and just after it (refreshed once, due again by the same rule).</summary>
    private static async Task ConnectThenSweepWhenDueAsync(OAuthRig rig, Func<Connection, DateTimeOffset> expectedDue)
    {
        var user = NewUser();
        await rig.ConnectAsync(TestTokens.For(user, Tenant));
        var (connected, credential) = await rig.StoredAsync(Tenant, user);
        Assert.Equal(expectedDue(connected), connected.RefreshAfter);
        Assert.True(connected.RefreshAfter < connected.ExpiresAt - TimeSpan.FromDays(20), $"refreshAfter {connected.RefreshAfter:o}, expiresAt {connected.ExpiresAt:o}");
        await rig.Server.ResetStatsAsync();

        var early = await SweepAt(rig.Host, connected.RefreshAfter!.Value.AddMinutes(-1)).SweepAsync(CancellationToken.None);
        Assert.Equal(0, early.Due);

        var due = await SweepAt(rig.Host, connected.RefreshAfter!.Value.AddMinutes(1)).SweepAsync(CancellationToken.None);
        Assert.Equal(1, due.Refreshed);
        Assert.Equal(1, (await rig.Server.StatsAsync()).RefreshTokenGrants);
        var (refreshed, rotated) = await rig.StoredAsync(Tenant, user);
        Assert.NotEqual(credential.RefreshToken, rotated.RefreshToken);
        Assert.Equal(connected.RefreshAfter!.Value.AddMinutes(1), refreshed.LastRefreshedAt);
        Assert.Equal(expectedDue(refreshed), refreshed.RefreshAfter);
    }

    /// <summary>A sweep of <paramref name="host"/>'s deployment whose clock (its own and its refresher's) reads <paramref name="now"/>.</summary>
    private static RefreshSweep SweepAt(TestHost host, DateTimeOffset now)
    {
        var clock = new ManualTimeProvider(now);
        var refresher = ActivatorUtilities.CreateInstance<TokenRefresher>(host.Services, clock);
        return ActivatorUtilities.CreateInstance<RefreshSweep>(host.Services, refresher, clock);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N")[..12];
}
