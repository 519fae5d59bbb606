using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.OAuth;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Core.OAuth;

/// <summary>The decisions of <see cref="TokenRefresher"/> over in-memory fakes: whether to refresh, who may send the refresh
/// token (single flight in process, the lease on the document across instances), and what is stored for each answer of
/// the token endpoint. The same paths against a real authorization server are in <c>Integration/OAuth</c>.</summary>
public sealed class TokenRefresherTests : IDisposable
{
    private static readonly ConnectionKey Key = RefreshFakes.Key();
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly RefreshFakes fakes = new();

    private DateTimeOffset Now => fakes.Now;

    public void Dispose() => fakes.Dispose();

    [Theory]
    [InlineData(301, false)]
    [InlineData(300, true)]
    [InlineData(1, true)]
    [InlineData(-60, true)]
    public async Task IsExpiring_SecondsLeftOnTheAccessToken_TrueOnlyWithinTheFiveMinuteMargin(int secondsLeft, bool expected)
    {
        var stored = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddSeconds(secondsLeft));

        Assert.Equal(expected, fakes.Refresher.IsExpiring(stored.Connection, fakes.OAuth));
    }

    [Fact]
    public async Task IsExpiring_NoExpiry_False()
    {
        var stored = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", expiresAt: null);

        Assert.False(fakes.Refresher.IsExpiring(stored.Connection, fakes.OAuth));
    }

    [Fact]
    public async Task RefreshExpiring_NotYetDue_NotNeededWithoutTokenRequestOrWrite()
    {
        var stored = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddHours(1));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(stored, outcome.Stored);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
        Assert.Equal(["expiring:not_needed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshExpiring_NoExpiry_NotNeededWithoutTokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", expiresAt: null);

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task RefreshExpiring_InsideTheMargin_RefreshesOnceAndStoresTheRotatedTokens()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(["rt-1"], fakes.TokenEndpoint.RefreshTokensPresented);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(("at-2", "rt-2"), (credential.AccessToken, credential.RefreshToken));
        Assert.Equal(credential, outcome.Credential);
        Assert.Equal(connection, outcome.Stored!.Connection);
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.Equal(Now.AddHours(1), connection.ExpiresAt);
        Assert.Equal(Now.AddMinutes(55), connection.RefreshAfter);
        Assert.Equal(Now, connection.LastRefreshedAt);
        Assert.Null(connection.RefreshLease);
        Assert.Equal([ConnectionEventTypes.Refreshed], fakes.Events.Types);
        Assert.Equal(["expiring:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshExpiring_TokenRequest_SentOnlyWhileThisInstanceHoldsALeaseOnTheDocument()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        RefreshLease? leaseDuringRequest = null;
        fakes.TokenEndpoint.OnRefresh = _ =>
        {
            leaseDuringRequest = fakes.Store.Current(Key)!.Connection.RefreshLease;
            return Task.FromResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));
        };

        await RefreshExpiringAsync();

        Assert.NotNull(leaseDuringRequest);
        Assert.Equal(Now + fakes.Settings.Lease, leaseDuringRequest.Until);
        Assert.Null(fakes.Store.Current(Key)!.Connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_ProviderSendsNoRefreshToken_KeepsTheOldOneAndItsExpiry_AndTheNextRefreshPresentsIt()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshTokenExpiresAt = Now.AddDays(30) });
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", refreshToken: null, Hour));

        var outcome = await RefreshExpiringAsync();

        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(("at-2", "rt-1"), (credential.AccessToken, credential.RefreshToken));
        Assert.Equal("rt-1", outcome.Credential!.RefreshToken);
        Assert.Equal(Now.AddDays(30), connection.RefreshTokenExpiresAt);
        Assert.Equal(Now.AddMinutes(55), connection.RefreshAfter);

        fakes.Clock.Advance(TimeSpan.FromMinutes(56));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-3", refreshToken: null, Hour));
        await RefreshExpiringAsync();

        Assert.Equal(["rt-1", "rt-1"], fakes.TokenEndpoint.RefreshTokensPresented);
        Assert.Equal("at-3", (await fakes.StoredAsync(Key)).Credential.AccessToken);
    }

    [Fact]
    public async Task RefreshExpiring_RotatedRefreshTokenWithALifetime_StoresItsExpiryAndIsDueBeforeItLapses()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", TimeSpan.FromDays(365), refreshTokenExpiresIn: TimeSpan.FromHours(12)));

        await RefreshExpiringAsync();

        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(Now.AddHours(12), connection.RefreshTokenExpiresAt);
        Assert.Equal(Now.AddHours(6), connection.RefreshAfter);
    }

    [Fact]
    public async Task RefreshExpiring_RotatedRefreshTokenWithoutALifetime_ForgetsTheOldRefreshTokensExpiry()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshTokenExpiresAt = Now.AddDays(1) });
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        await RefreshExpiringAsync();

        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Null(connection.RefreshTokenExpiresAt);
        Assert.Equal(Now.AddMinutes(55), connection.RefreshAfter);
    }

    [Fact]
    public async Task RefreshExpiring_ProviderNamesScopes_StoresThem_OtherwiseKeepsTheStoredOnes()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", TimeSpan.FromMinutes(2)));

        await RefreshExpiringAsync();
        Assert.Equal(["read"], (await fakes.StoredAsync(Key)).Connection.Scopes);

        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-3", "rt-3", Hour, scopes: ["read", "write"]));
        await RefreshExpiringAsync();

        Assert.Equal(["read", "write"], (await fakes.StoredAsync(Key)).Connection.Scopes);
        Assert.Equal(2, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task RefreshExpiring_ProviderGivesNoExpiry_StoredWithoutExpiryAndNeverDue()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", expiresIn: null));

        await RefreshExpiringAsync();

        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Null(connection.ExpiresAt);
        Assert.Null(connection.RefreshAfter);
    }

    [Fact]
    public async Task RefreshExpiring_NoRefreshTokenAndStillValid_NotNeededNothingWritten()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", refreshToken: null, Now.AddMinutes(2));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
        Assert.Empty(fakes.Events.Types);
    }

    [Fact]
    public async Task RefreshExpiring_NoRefreshTokenAndExpired_MarkedNeedsReauthWithoutTokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", refreshToken: null, Now.AddMinutes(-1));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NeedsReauth, outcome.Result);
        Assert.Equal("no_refresh_token", outcome.Reason);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(ConnectionStatus.NeedsReauth, connection.Status);
        Assert.Equal("no_refresh_token", connection.LastRefreshError);
        Assert.Null(connection.RefreshAfter);
        Assert.Equal([ConnectionEventTypes.NeedsReauth], fakes.Events.Types);
    }

    [Theory]
    [InlineData(ConnectionStatus.NeedsReauth)]
    [InlineData(ConnectionStatus.Revoked)]
    public async Task RefreshExpiring_ConnectionNotActive_NeedsReauthWithItsLastErrorWithoutTokenRequest(ConnectionStatus status)
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(-1), c => c with { Status = status, LastRefreshError = "invalid_grant" });

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NeedsReauth, outcome.Result);
        Assert.Equal("invalid_grant", outcome.Reason);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task RefreshExpiring_ConnectionGone_Missing()
    {
        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Missing, outcome.Result);
        Assert.Null(outcome.Stored);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(["expiring:missing"], fakes.RefreshesCounted);
    }

    [Theory]
    [InlineData("http_503", "http_503")]
    [InlineData(null, "backing_off")]
    public async Task RefreshExpiring_BackingOffAfterAFailure_UnavailableWithoutTokenRequest(string? lastError, string expectedReason)
    {
        await fakes.SeedOAuthAsync(
            Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { NextRefreshAttemptAt = Now.AddSeconds(30), LastRefreshError = lastError, RefreshFailureCount = 1 });

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Unavailable, outcome.Result);
        Assert.Equal(expectedReason, outcome.Reason);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task RefreshExpiring_InvalidGrant_MarkedNeedsReauthAndTheOldCredentialLeftInPlace()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(new TokenResult.Rejected("invalid_grant", "grant revoked"));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NeedsReauth, outcome.Result);
        Assert.Equal("invalid_grant", outcome.Reason);
        Assert.Null(outcome.Credential);
        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(ConnectionStatus.NeedsReauth, connection.Status);
        Assert.Equal("invalid_grant", connection.LastRefreshError);
        Assert.Equal(1, connection.RefreshFailureCount);
        Assert.Null(connection.RefreshAfter);
        Assert.Null(connection.RefreshLease);
        Assert.Equal(("at-1", "rt-1"), (credential.AccessToken, credential.RefreshToken));
        Assert.Equal([ConnectionEventTypes.NeedsReauth], fakes.Events.Types);
        Assert.Equal(["expiring:needs_reauth"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshExpiring_TransientFailure_ConnectionKeptActiveAndBacksOff()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: null));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Unavailable, outcome.Result);
        Assert.Equal("http_503", outcome.Reason);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.Equal(1, connection.RefreshFailureCount);
        Assert.Equal("http_503", connection.LastRefreshError);
        Assert.Null(connection.RefreshLease);
        // The first backoff is half to all of BackoffBase (30 s), rounded up to a whole second.
        Assert.InRange(connection.NextRefreshAttemptAt!.Value, Now.AddSeconds(15), Now.AddSeconds(30));
        // Out of the sweep's range until then, so a sweep does not pick it up again at once.
        Assert.Equal(connection.NextRefreshAttemptAt, connection.RefreshAfter);
        Assert.Equal(("at-1", "rt-1"), (credential.AccessToken, credential.RefreshToken));
        Assert.Equal([ConnectionEventTypes.RefreshFailed], fakes.Events.Types);
        Assert.Equal(["expiring:unavailable"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshExpiring_TransientFailureWithRetryAfter_NextAttemptNotBeforeIt()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_429", 429, RetryAfter: TimeSpan.FromMinutes(10)));

        await RefreshExpiringAsync();

        Assert.Equal(Now.AddMinutes(10), (await fakes.StoredAsync(Key)).Connection.NextRefreshAttemptAt);
    }

    [Theory]
    [InlineData(-60, 2, RefreshResult.NeedsReauth, ConnectionStatus.NeedsReauth)]
    [InlineData(-60, 1, RefreshResult.Unavailable, ConnectionStatus.Active)]
    [InlineData(120, 10, RefreshResult.Unavailable, ConnectionStatus.Active)]
    public async Task RefreshExpiring_TransientFailure_NeedsReauthOnlyOnceExpiredAndAtTheFailureLimit(
        int secondsLeft, int previousFailures, RefreshResult expectedResult, ConnectionStatus expectedStatus)
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddSeconds(secondsLeft), c => c with { RefreshFailureCount = previousFailures });
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: null));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(expectedResult, outcome.Result);
        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(expectedStatus, connection.Status);
        Assert.Equal(previousFailures + 1, connection.RefreshFailureCount);
    }

    [Fact]
    public async Task RefreshExpiring_ExpiredAndFailingAtTheLimit_LeavesTheSweepsRangeAndAnnouncesBoth()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(-1), c => c with { RefreshFailureCount = fakes.Settings.MaxFailuresAfterExpiry - 1 });
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: null));

        await RefreshExpiringAsync();

        Assert.Null((await fakes.StoredAsync(Key)).Connection.RefreshAfter);
        Assert.Equal([ConnectionEventTypes.RefreshFailed, ConnectionEventTypes.NeedsReauth], fakes.Events.Types);
        Assert.Equal("refresh_failed:http_503", fakes.Events.Published[1].Reason);
    }

    [Fact]
    public async Task RefreshExpiring_SucceedsAfterFailures_ClearsTheFailureStateAndAnnouncesTheRecovery()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with
        {
            RefreshFailureCount = 2,
            LastRefreshError = "http_503",
            NextRefreshAttemptAt = Now.AddSeconds(-1),
            RefreshDeferrals = 3,
        });
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        await RefreshExpiringAsync();

        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(0, connection.RefreshFailureCount);
        Assert.Null(connection.LastRefreshError);
        Assert.Null(connection.NextRefreshAttemptAt);
        Assert.Equal(0, connection.RefreshDeferrals);
        Assert.Equal([ConnectionEventTypes.Recovered, ConnectionEventTypes.Refreshed], fakes.Events.Types);
    }

    [Fact]
    public async Task RefreshExpiring_ConcurrentCallersOfOneConnection_ShareOneTokenRequestCountedOnce()
    {
        var due = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var answer = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        fakes.TokenEndpoint.OnRefresh = _ => answer.Task;

        var first = RefreshExpiringAsync();
        await Poll.UntilAsync(() => fakes.TokenEndpoint.RefreshCalls == 1);
        var second = RefreshExpiringAsync();
        var fromSweep = fakes.Refresher.RefreshDueAsync(fakes.OAuth, due, CancellationToken.None);
        answer.SetResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));
        var outcomes = await Task.WhenAll(first, second, fromSweep);

        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.All(outcomes, o => Assert.Equal(RefreshResult.Refreshed, o.Result));
        Assert.All(outcomes, o => Assert.Equal("at-2", o.Credential!.AccessToken));
        Assert.Equal(["expiring:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshExpiring_CallerStopsWaiting_TheRefreshStillCompletesAndIsStored()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var answer = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        fakes.TokenEndpoint.OnRefresh = _ => answer.Task;
        using var cancel = new CancellationTokenSource();

        var waiting = fakes.Refresher.RefreshExpiringAsync(fakes.OAuth, Key, cancel.Token);
        await Poll.UntilAsync(() => fakes.TokenEndpoint.RefreshCalls == 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        answer.SetResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        await Poll.UntilAsync(() => fakes.Store.Current(Key)!.Connection.LastRefreshedAt is not null);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(("at-2", "rt-2"), (credential.AccessToken, credential.RefreshToken));
        Assert.Null(connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseWriteLosesToAnotherInstancesRefresh_DecidesAgainWithoutASecondTokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var theirs = await fakes.SealAsync(new Credential(AccessToken: "at-theirs", RefreshToken: "rt-theirs", TokenType: "Bearer"), Key);
        fakes.Store.BeforeReplace = _ =>
        {
            // Another instance stores its refresh between our read and our lease write.
            fakes.Store.BeforeReplace = null;
            fakes.Store.Overwrite(Key, c => c with { Credential = theirs, ExpiresAt = Now.AddHours(1), RefreshAfter = Now.AddMinutes(55) });
            return Task.CompletedTask;
        };

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(theirs, outcome.Stored!.Connection.Credential);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(1, fakes.Store.LostReplaces);
        Assert.Equal(2, fakes.Store.LatestReads);
        Assert.Null(fakes.Store.Current(Key)!.Connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseWriteLosesToAnUnrelatedWrite_DecidesAgainAndRefreshesOnce()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.Store.BeforeReplace = _ =>
        {
            fakes.Store.BeforeReplace = null;
            fakes.Store.Overwrite(Key, c => c with { LastUsedAt = Now });
            return Task.CompletedTask;
        };
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(["rt-1"], fakes.TokenEndpoint.RefreshTokensPresented);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal("at-2", credential.AccessToken);
        Assert.Equal(Now, connection.LastUsedAt);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseHeldByAnotherInstance_WaitsAndUsesItsResultWithoutATokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshLease = new RefreshLease("other:1", Now.AddSeconds(30)) });
        var theirs = await fakes.SealAsync(new Credential(AccessToken: "at-theirs", RefreshToken: "rt-theirs", TokenType: "Bearer"), Key);

        var refreshing = RefreshExpiringAsync();
        await Poll.UntilAsync(() => fakes.Store.LatestReads >= 2);
        fakes.Store.Overwrite(Key, c => c with { Credential = theirs, ExpiresAt = Now.AddHours(1), RefreshAfter = Now.AddMinutes(55), RefreshLease = null });
        var outcome = await refreshing;

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(theirs, outcome.Stored!.Connection.Credential);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseHeldLongerThanTwiceTheLeaseTime_UnavailableRefreshInProgress()
    {
        using var quick = new RefreshFakes(RefreshSettings.Default with { Lease = TimeSpan.FromMilliseconds(100) });
        var lease = new RefreshLease("other:1", quick.Now.AddSeconds(30));
        await quick.SeedOAuthAsync(Key, "at-1", "rt-1", quick.Now.AddMinutes(2), c => c with { RefreshLease = lease });

        var outcome = await quick.Refresher.RefreshExpiringAsync(quick.OAuth, Key, CancellationToken.None);

        Assert.Equal(RefreshResult.Unavailable, outcome.Result);
        Assert.Equal("refresh_in_progress", outcome.Reason);
        Assert.Equal(0, quick.TokenEndpoint.RefreshCalls);
        Assert.Equal(lease, quick.Store.Current(Key)!.Connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseOfACrashedInstanceHasRunOut_TakesItOverAndRefreshes()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshLease = new RefreshLease("crashed:1", Now.AddSeconds(-1)) });
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.Null(fakes.Store.Current(Key)!.Connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_LeaseWriteAlwaysLoses_GivesUpWithContentionWithoutATokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.Store.BeforeReplace = _ =>
        {
            fakes.Store.Overwrite(Key, c => c with { LastUsedAt = Now });
            return Task.CompletedTask;
        };

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Unavailable, outcome.Result);
        Assert.Equal("contention", outcome.Reason);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(fakes.Store.Replaces, fakes.Store.LostReplaces);
        Assert.InRange(fakes.Store.Replaces, 2, 64);
    }

    [Fact]
    public async Task RefreshExpiring_CredentialDoesNotDecrypt_FailsWithoutTakingALeaseOrSendingAnything()
    {
        var sealedForAnother = await fakes.SealAsync(new Credential(AccessToken: "at-x", RefreshToken: "rt-x"), RefreshFakes.Key(user: "user-2"));
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { Credential = sealedForAnother });

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(RefreshExpiringAsync);

        Assert.Equal(ErrorCode.CredentialDecryptFailed, failure.Code);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
        Assert.Null(fakes.Store.Current(Key)!.Connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_UserReconnectsDuringTheRefresh_TheNewConnectionWinsAndNothingIsAnnounced()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var reconnected = await fakes.SealAsync(new Credential(AccessToken: "at-new-grant", RefreshToken: "rt-new-grant", TokenType: "Bearer"), Key);
        fakes.TokenEndpoint.OnRefresh = _ =>
        {
            fakes.Store.Overwrite(Key, c => c with { Credential = reconnected, RefreshLease = null, ExpiresAt = Now.AddHours(1), RefreshAfter = Now.AddMinutes(55) });
            return Task.FromResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));
        };

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(reconnected, outcome.Stored!.Connection.Credential);
        Assert.Equal("at-new-grant", (await fakes.StoredAsync(Key)).Credential.AccessToken);
        Assert.Empty(fakes.Events.Types);
    }

    [Fact]
    public async Task RefreshExpiring_InvalidGrantWhileTheUserReconnects_TheNewConnectionIsNotMarked()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var reconnected = await fakes.SealAsync(new Credential(AccessToken: "at-new-grant", RefreshToken: "rt-new-grant", TokenType: "Bearer"), Key);
        fakes.TokenEndpoint.OnRefresh = _ =>
        {
            fakes.Store.Overwrite(Key, c => c with { Credential = reconnected, RefreshLease = null, ExpiresAt = Now.AddHours(1) });
            return Task.FromResult<TokenResult>(new TokenResult.Rejected("invalid_grant", null));
        };

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.Null(connection.LastRefreshError);
        Assert.Equal(0, connection.RefreshFailureCount);
        Assert.Empty(fakes.Events.Types);
    }

    [Fact]
    public async Task RefreshExpiring_DocumentTouchedDuringTheRefresh_NewTokensAppliedToTheNewestVersion()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.OnRefresh = _ =>
        {
            fakes.Store.Overwrite(Key, c => c with { LastUsedAt = Now });
            return Task.FromResult(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));
        };

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(("at-2", "rt-2"), (credential.AccessToken, credential.RefreshToken));
        Assert.Equal(Now, connection.LastUsedAt);
        Assert.Null(connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshExpiring_StoringTheNewTokensFailsOnce_RetriedUntilStoredWithoutASecondTokenRequest()
    {
        await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        var failed = 0;
        fakes.Store.BeforeReplace = c => c.LastRefreshedAt is not null && Interlocked.Increment(ref failed) == 1
            ? throw new InvalidOperationException("storage unavailable")
            : Task.CompletedTask;
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await RefreshExpiringAsync();

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(2, failed);
        var (connection, credential) = await fakes.StoredAsync(Key);
        Assert.Equal(("at-2", "rt-2"), (credential.AccessToken, credential.RefreshToken));
        Assert.Null(connection.RefreshLease);
    }

    [Fact]
    public async Task RefreshRejected_StoredCredentialIsTheRejectedOne_RefreshesThoughNotExpiring()
    {
        var used = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddHours(1));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await fakes.Refresher.RefreshRejectedAsync(fakes.OAuth, used, CancellationToken.None);

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(["rt-1"], fakes.TokenEndpoint.RefreshTokensPresented);
        Assert.Equal(["rejected:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshRejected_CredentialAlreadyReplaced_NotNeededWithoutTokenRequest()
    {
        var used = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddHours(1));
        var replacement = await fakes.SealAsync(new Credential(AccessToken: "at-2", RefreshToken: "rt-2", TokenType: "Bearer"), Key);
        fakes.Store.Overwrite(Key, c => c with { Credential = replacement });

        var outcome = await fakes.Refresher.RefreshRejectedAsync(fakes.OAuth, used, CancellationToken.None);

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(replacement, outcome.Stored!.Connection.Credential);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task RefreshRejected_TransientFailureOnATokenNotYetDue_DoesNotBringItsRefreshForward()
    {
        var used = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddHours(1));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("timeout", null, RetryAfter: null));

        await fakes.Refresher.RefreshRejectedAsync(fakes.OAuth, used, CancellationToken.None);

        var (connection, _) = await fakes.StoredAsync(Key);
        Assert.Equal(Now.AddMinutes(55), connection.RefreshAfter);
        Assert.InRange(connection.NextRefreshAttemptAt!.Value, Now.AddSeconds(15), Now.AddSeconds(30));
    }

    [Fact]
    public async Task RefreshDue_StillDueAsTheQueryReturnedIt_RefreshesWithoutReadingItAgain()
    {
        var due = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var outcome = await fakes.Refresher.RefreshDueAsync(fakes.OAuth, due, CancellationToken.None);

        Assert.Equal(RefreshResult.Refreshed, outcome.Result);
        Assert.Equal(0, fakes.Store.LatestReads);
        Assert.Equal(["sweep:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task RefreshDue_RefreshAfterNotReached_NotNeededWithoutTokenRequest()
    {
        // Inside the call margin, but the sweep goes by refreshAfter (moved out, e.g. by a deferral).
        var due = await fakes.SeedOAuthAsync(Key, "at-1", "rt-1", Now.AddMinutes(2), c => c with { RefreshAfter = Now.AddMinutes(1) });

        var outcome = await fakes.Refresher.RefreshDueAsync(fakes.OAuth, due, CancellationToken.None);

        Assert.Equal(RefreshResult.NotNeeded, outcome.Result);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task Refresh_EveryOutcome_LogsNoTokens()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var logged = new RefreshFakes(logs: factory);
        var keys = new[] { RefreshFakes.Key("user-a"), RefreshFakes.Key("user-b"), RefreshFakes.Key("user-c") };
        var answers = new Queue<TokenResult>(
        [
            FakeTokenEndpoint.Granted("at-secret-new", "rt-secret-new", Hour),
            new TokenResult.Rejected("invalid_grant", "grant revoked"),
            new TokenResult.Failed("http_503", 503, RetryAfter: null),
        ]);
        logged.TokenEndpoint.OnRefresh = _ => Task.FromResult(answers.Dequeue());

        foreach (var key in keys)
        {
            await logged.SeedOAuthAsync(key, "at-secret-1", "rt-secret-1", logged.Now.AddMinutes(2));
            await logged.Refresher.RefreshExpiringAsync(logged.OAuth, key, CancellationToken.None);
        }

        Assert.Equal(3, logged.TokenEndpoint.RefreshCalls);
        Assert.Contains("oauthco", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", logs.All, StringComparison.Ordinal);
    }

    private Task<RefreshOutcome> RefreshExpiringAsync() => fakes.Refresher.RefreshExpiringAsync(fakes.OAuth, Key, CancellationToken.None);
}
