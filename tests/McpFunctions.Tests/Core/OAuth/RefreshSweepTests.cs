using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Core.OAuth;

/// <summary>The decisions of <see cref="RefreshSweep"/> over in-memory fakes: what it asks the store for and how far it
/// pages, what it attempts and at what parallelism, what it counts, and which connections it moves out of the due range.
/// The store's due query itself is the Cosmos adapter's; the same sweeps against real servers are in
/// <c>Integration/OAuth/RefreshSweepTests</c>.</summary>
public sealed class RefreshSweepTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly RefreshFakes fakes = new();

    private DateTimeOffset Now => fakes.Now;

    public void Dispose() => fakes.Dispose();

    [Fact]
    public async Task Sweep_SomeDue_AsksForWhatIsDueNowAndRefreshesEachDueOneOnce()
    {
        var due = await SeedDueAsync(fakes, 3);
        var fresh = await fakes.SeedOAuthAsync(RefreshFakes.Key("user-fresh"), "at-fresh", "rt-fresh", Now.AddHours(1));
        fakes.TokenEndpoint.OnRefresh = rt => Task.FromResult(FakeTokenEndpoint.Granted("at-new", rt + "-next", Hour));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal([(Now, fakes.Settings.SweepBatchSize)], fakes.Store.DueQueries);
        Assert.Equal((3, 3, 0, 0, 0, 0, 0), Counts(report));
        Assert.Equal(1, report.Queries);
        Assert.Equal(2.5, report.RequestCharge);
        Assert.Equal(["rt-0", "rt-1", "rt-2"], fakes.TokenEndpoint.RefreshTokensPresented.Order(StringComparer.Ordinal));
        foreach (var key in due)
        {
            var (connection, credential) = await fakes.StoredAsync(key);
            Assert.Equal($"rt-{key.UserId[^1]}-next", credential.RefreshToken);
            Assert.Equal(Now.AddMinutes(55), connection.RefreshAfter);
        }

        Assert.Equal(fresh, fakes.Store.Current(fresh.Connection.Key));
        Assert.Equal(["sweep:refreshed", "sweep:refreshed", "sweep:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task Sweep_NothingDue_OneQueryAndNothingElse()
    {
        await fakes.SeedOAuthAsync(RefreshFakes.Key(), "at-1", "rt-1", Now.AddHours(1));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((0, 0, 0, 0, 0, 0, 0), Counts(report));
        Assert.Equal(1, report.Queries);
        Assert.Equal(0, fakes.Store.Replaces);
        Assert.Equal(0, fakes.Store.LatestReads);
        Assert.Empty(fakes.RefreshesCounted);
    }

    [Fact]
    public async Task Sweep_MoreDueThanABatch_QueriesPageByPageUntilAShortPage()
    {
        using var paged = new RefreshFakes(RefreshSettings.Default with { SweepBatchSize = 2 });
        await SeedDueAsync(paged, 5);
        paged.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-new", "rt-new", Hour));

        var report = await paged.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal([2, 2, 2], paged.Store.DueQueries.Select(q => q.Limit));
        Assert.Equal((5, 5, 0, 0, 0, 0, 0), Counts(report));
        Assert.Equal(3, report.Queries);
        Assert.Equal(7.5, report.RequestCharge);
        Assert.Equal(5, paged.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Sweep_MoreDueThanOneRunMayTake_StopsAtTheBoundAndLeavesTheLatestDueForTheNextRun()
    {
        using var bounded = new RefreshFakes(RefreshSettings.Default with { SweepBatchSize = 2, SweepMaxPerRun = 3 });
        var due = await SeedDueAsync(bounded, 5);
        bounded.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-new", "rt-new", Hour));

        var report = await bounded.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal([2, 1], bounded.Store.DueQueries.Select(q => q.Limit));
        Assert.Equal((3, 3, 0, 0, 0, 0, 0), Counts(report));
        Assert.Equal(3, bounded.TokenEndpoint.RefreshCalls);
        // Soonest due first: the two due last are left as they were.
        Assert.All(due[3..], key => Assert.True(bounded.Store.Current(key)!.Connection.RefreshAfter <= bounded.Now));
        Assert.All(due[..3], key => Assert.True(bounded.Store.Current(key)!.Connection.RefreshAfter > bounded.Now));
    }

    [Fact]
    public async Task Sweep_ParallelismLimit_NeverMoreTokenRequestsInFlightThanAllowed()
    {
        using var limited = new RefreshFakes(RefreshSettings.Default with { SweepParallelism = 2 });
        await SeedDueAsync(limited, 6);
        var (inFlight, mostInFlight) = (0, 0);
        var twoInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        limited.TokenEndpoint.OnRefresh = async _ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref mostInFlight, now);
            if (now >= 2)
            {
                twoInFlight.TrySetResult();
            }

            // Hold each request until two run at once (or a while has passed), so a third would overlap if allowed.
            await Task.WhenAny(twoInFlight.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            await Task.Delay(TimeSpan.FromMilliseconds(20));
            Interlocked.Decrement(ref inFlight);
            return FakeTokenEndpoint.Granted("at-new", "rt-new", Hour);
        };

        var report = await limited.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal(6, report.Refreshed);
        Assert.Equal(2, Volatile.Read(ref mostInFlight));
    }

    [Fact]
    public async Task Sweep_PageStaleBecauseAnotherInstanceRefreshedMeanwhile_NoTokenRequestCountedNotNeeded()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        var theirs = await fakes.SealAsync(new Credential(AccessToken: "at-theirs", RefreshToken: "rt-theirs", TokenType: "Bearer"), key);
        var sweep = fakes.NewSweep(new ObservedStore(fakes.Store)
        {
            AfterQueryDue = _ =>
            {
                fakes.Store.Overwrite(key, c => c with { Credential = theirs, ExpiresAt = Now.AddHours(1), RefreshAfter = Now.AddMinutes(55) });
                return Task.CompletedTask;
            },
        });

        var report = await sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 1, 0, 0, 0, 0), Counts(report));
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(theirs, fakes.Store.Current(key)!.Connection.Credential);
    }

    [Fact]
    public async Task Sweep_PageStaleBecauseTheConnectionNowNeedsReauth_CountedNeedsReauthWithoutTokenRequest()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        var sweep = fakes.NewSweep(new ObservedStore(fakes.Store)
        {
            AfterQueryDue = _ =>
            {
                fakes.Store.Overwrite(key, c => c with { Status = ConnectionStatus.NeedsReauth });
                return Task.CompletedTask;
            },
        });

        var report = await sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 0, 1, 0, 0), Counts(report));
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Current(key)!.Connection.RefreshDeferrals);
    }

    [Fact]
    public async Task Sweep_PageStaleBecauseTheConnectionIsNowBackingOff_CountedUnavailableWithoutTokenRequestAndNotDeferred()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        var sweep = fakes.NewSweep(new ObservedStore(fakes.Store)
        {
            AfterQueryDue = _ =>
            {
                // Another instance's refresh failed meanwhile; its backoff, not a sweep deferral, decides the next attempt.
                fakes.Store.Overwrite(key, c => c with { NextRefreshAttemptAt = Now.AddSeconds(30), RefreshFailureCount = 1, LastRefreshError = "http_503" });
                return Task.CompletedTask;
            },
        });

        var report = await sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 1, 0, 0, 0), Counts(report));
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Current(key)!.Connection.RefreshDeferrals);
    }

    [Fact]
    public async Task Sweep_ConnectionLeasedByAnotherInstanceAndStillDue_NotRefreshedNotDeferredNotTakenTwice()
    {
        using var quick = new RefreshFakes(RefreshSettings.Default with { Lease = TimeSpan.FromMilliseconds(100), SweepBatchSize = 1 });
        var key = RefreshFakes.Key();
        var lease = new RefreshLease("other:1", quick.Now.AddMinutes(1));
        await quick.SeedOAuthAsync(key, "at-1", "rt-1", quick.Now.AddMinutes(2), c => c with { RefreshLease = lease });

        var report = await quick.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 1, 0, 0, 0), Counts(report));
        // The second page held only the same connection again: the run ends there.
        Assert.Equal(2, report.Queries);
        Assert.Equal(0, quick.TokenEndpoint.RefreshCalls);
        var connection = quick.Store.Current(key)!.Connection;
        Assert.Equal(lease, connection.RefreshLease);
        Assert.Equal(0, connection.RefreshDeferrals);
    }

    [Fact]
    public async Task Sweep_TwoInstancesSweepAtOnce_EachConnectionRefreshedOnce()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        var answer = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        fakes.TokenEndpoint.OnRefresh = _ => answer.Task;
        var otherInstance = fakes.NewSweep(refresher: fakes.NewRefresher());

        var first = fakes.Sweep.SweepAsync(CancellationToken.None);
        await Poll.UntilAsync(() => fakes.TokenEndpoint.RefreshCalls == 1);
        var second = otherInstance.SweepAsync(CancellationToken.None);
        // The second instance found the lease and is waiting for the first one's result.
        await Poll.UntilAsync(() => fakes.Store.LatestReads >= 2);
        answer.SetResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));
        var reports = await Task.WhenAll(first, second);

        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal((1, 1, 0, 0, 0, 0, 0), Counts(reports[0]));
        Assert.Equal((1, 0, 1, 0, 0, 0, 0), Counts(reports[1]));
        Assert.Equal("rt-2", (await fakes.StoredAsync(key)).Credential.RefreshToken);
    }

    [Fact]
    public async Task Sweep_ProviderWithoutAClientHereOrNoLongerInTheCatalog_SkippedAndDeferredWithoutTokenRequest()
    {
        var noClient = RefreshFakes.Key(user: "user-a", provider: RefreshFakes.NoClientDescriptor.Id);
        var retired = RefreshFakes.Key(user: "user-b", provider: "retired");
        await fakes.SeedOAuthAsync(noClient, "at-a", "rt-a", Now.AddMinutes(2));
        await fakes.SeedOAuthAsync(retired, "at-b", "rt-b", Now.AddMinutes(2));
        await fakes.SeedOAuthAsync(RefreshFakes.Key(user: "user-c"), "at-c", "rt-c", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-new", "rt-new", Hour));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((3, 1, 0, 0, 0, 2, 2), Counts(report));
        Assert.Equal(["rt-c"], fakes.TokenEndpoint.RefreshTokensPresented);
        foreach (var key in new[] { noClient, retired })
        {
            var (connection, credential) = await fakes.StoredAsync(key);
            Assert.Equal(ConnectionStatus.Active, connection.Status);
            Assert.Equal(1, connection.RefreshDeferrals);
            // The first deferral: half to all of BackoffBase (30 s).
            Assert.InRange(connection.RefreshAfter!.Value, Now.AddSeconds(15), Now.AddSeconds(30));
            Assert.Equal("rt-" + key.UserId[^1], credential.RefreshToken);
        }

        Assert.Equal(["noclient:no_oauth_client", "retired:provider_not_in_catalog"], fakes.DeferralsCounted);
    }

    [Fact]
    public async Task Sweep_ConnectionDeferredBefore_BacksOffLonger()
    {
        var key = RefreshFakes.Key(provider: RefreshFakes.NoClientDescriptor.Id);
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshDeferrals = 3 });

        await fakes.Sweep.SweepAsync(CancellationToken.None);

        var connection = fakes.Store.Current(key)!.Connection;
        Assert.Equal(4, connection.RefreshDeferrals);
        // The fourth: half to all of 8 × BackoffBase.
        Assert.InRange(connection.RefreshAfter!.Value, Now.AddSeconds(120), Now.AddSeconds(240));
    }

    [Fact]
    public async Task Sweep_ConnectionChangedBeforeItsDeferral_NotDeferredAndTheChangeKept()
    {
        var key = RefreshFakes.Key(provider: RefreshFakes.NoClientDescriptor.Id);
        var queried = await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        var sweep = fakes.NewSweep(new ObservedStore(fakes.Store)
        {
            AfterQueryDue = _ =>
            {
                fakes.Store.Overwrite(key, c => c with { LastUsedAt = Now });
                return Task.CompletedTask;
            },
        });

        var report = await sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 0, 0, 1, 0), Counts(report));
        var connection = fakes.Store.Current(key)!.Connection;
        Assert.Equal(0, connection.RefreshDeferrals);
        Assert.Equal(Now, connection.LastUsedAt);
        Assert.Equal(queried.Connection.RefreshAfter, connection.RefreshAfter);
        Assert.Empty(fakes.DeferralsCounted);
    }

    [Fact]
    public async Task Sweep_DeferralWriteFails_NotCountedAndTheRestOfTheSweepGoesOn()
    {
        var noClient = RefreshFakes.Key(user: "user-a", provider: RefreshFakes.NoClientDescriptor.Id);
        await fakes.SeedOAuthAsync(noClient, "at-a", "rt-a", Now.AddMinutes(2));
        await fakes.SeedOAuthAsync(RefreshFakes.Key(user: "user-b"), "at-b", "rt-b", Now.AddMinutes(2));
        fakes.Store.BeforeReplace = c => c.Key == noClient ? throw new InvalidOperationException("storage unavailable") : Task.CompletedTask;
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-new", "rt-new", Hour));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((2, 1, 0, 0, 0, 1, 0), Counts(report));
        Assert.Equal(0, fakes.Store.Current(noClient)!.Connection.RefreshDeferrals);
        Assert.Empty(fakes.DeferralsCounted);
    }

    [Fact]
    public async Task Sweep_CredentialThatDoesNotDecrypt_CountedUnavailableAndDeferredWhileTheOthersAreRefreshed()
    {
        var broken = RefreshFakes.Key(user: "user-a");
        var sealedForAnother = await fakes.SealAsync(new Credential(AccessToken: "at-x", RefreshToken: "rt-x"), RefreshFakes.Key(user: "someone-else"));
        await fakes.SeedOAuthAsync(broken, "at-a", "rt-a", Now.AddMinutes(2), c => c with { Credential = sealedForAnother, RefreshAfter = Now.AddMinutes(-10) });
        await fakes.SeedOAuthAsync(RefreshFakes.Key(user: "user-b"), "at-b", "rt-b", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-new", "rt-new", Hour));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((2, 1, 0, 1, 0, 0, 1), Counts(report));
        Assert.Equal(["rt-b"], fakes.TokenEndpoint.RefreshTokensPresented);
        var connection = fakes.Store.Current(broken)!.Connection;
        Assert.Null(connection.RefreshLease);
        Assert.Equal(1, connection.RefreshDeferrals);
        Assert.True(connection.RefreshAfter > Now);
        Assert.Equal(["oauthco:McpFunctionsException"], fakes.DeferralsCounted);
    }

    [Fact]
    public async Task Sweep_TransientTokenEndpointFailure_CountedUnavailableKeptActiveAndNotDeferred()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: null));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 1, 0, 0, 0), Counts(report));
        var connection = fakes.Store.Current(key)!.Connection;
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.Equal(0, connection.RefreshDeferrals);
        Assert.Equal(1, connection.RefreshFailureCount);
        // Out of the due range until the refresher's own backoff ends, not by a sweep deferral.
        Assert.Equal(connection.NextRefreshAttemptAt, connection.RefreshAfter);
        Assert.True(connection.RefreshAfter > Now);
        Assert.Empty(fakes.DeferralsCounted);
        Assert.Equal(["sweep:unavailable"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task Sweep_InvalidGrant_CountedNeedsReauthAndNotDeferred()
    {
        var key = RefreshFakes.Key();
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(new TokenResult.Rejected("invalid_grant", null));

        var report = await fakes.Sweep.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 0, 1, 0, 0), Counts(report));
        var connection = fakes.Store.Current(key)!.Connection;
        Assert.Equal(ConnectionStatus.NeedsReauth, connection.Status);
        Assert.Null(connection.RefreshAfter);
        Assert.Equal(0, connection.RefreshDeferrals);
    }

    /// <summary>Due connections of users <c>user-0</c>…, refresh tokens <c>rt-0</c>…, due a minute apart in that order.</summary>
    private static async Task<ConnectionKey[]> SeedDueAsync(RefreshFakes on, int count)
    {
        var keys = new ConnectionKey[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = RefreshFakes.Key($"user-{i}");
            var refreshAfter = on.Now.AddMinutes(-60 + i);
            await on.SeedOAuthAsync(keys[i], $"at-{i}", $"rt-{i}", on.Now.AddMinutes(2), c => c with { RefreshAfter = refreshAfter });
        }

        return keys;
    }

    private static (int Due, int Refreshed, int NotNeeded, int Unavailable, int NeedsReauth, int Skipped, int Deferred) Counts(SweepReport report) =>
        (report.Due, report.Refreshed, report.NotNeeded, report.Unavailable, report.NeedsReauth, report.Skipped, report.Deferred);

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
