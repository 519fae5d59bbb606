using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>The refresh sweep against the real authorization server (rotating refresh tokens, reuse revokes the grant):
/// connections it cannot refresh do not block the others.</summary>
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

        var report = await sweep.SweepAsync(CancellationToken.None);

        var stats = await rig.Server.StatsAsync();
        Assert.Equal(3, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(3, report.Refreshed);
        Assert.Equal(10, report.Due);
        Assert.Equal(5, report.Skipped);
        Assert.Equal(7, report.Deferred);
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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N")[..12];
}
