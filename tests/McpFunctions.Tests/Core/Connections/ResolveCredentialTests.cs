using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Core.Connections;

/// <summary>The decisions of <see cref="ResolveCredential"/> over in-memory fakes: which connection a call uses (only the
/// caller's own; the named account, else <c>default</c>, else the only one), whether its OAuth token is refreshed first, and
/// which error a caller gets when there is no usable credential.</summary>
public sealed class ResolveCredentialTests : IDisposable
{
    private static readonly Caller User1 = new(RefreshFakes.Tenant, "user-1");
    private static readonly ProviderDescriptor OAuthCo = RefreshFakes.OAuthDescriptor;
    private static readonly ProviderDescriptor KeyCo = RefreshFakes.ApiKeyDescriptor;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly RefreshFakes fakes = new();

    private DateTimeOffset Now => fakes.Now;

    public void Dispose() => fakes.Dispose();

    [Fact]
    public async Task Execute_ApiKeyConnection_ReturnsTheDecryptedKeyWithoutAnyRefresh()
    {
        var stored = await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "default"), "key-123");

        var resolved = await ExecuteAsync(KeyCo);

        Assert.Equal("key-123", resolved.Credential.ApiKey);
        Assert.Equal("key-123", resolved.Credential.Secret);
        Assert.Equal(stored, resolved.Stored);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.LatestReads);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task Execute_OAuthTokenWithMoreThanTheMarginLeft_ReturnsTheStoredTokenWithoutRefresh()
    {
        var stored = await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddMinutes(6));

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal("at-1", resolved.Credential.AccessToken);
        Assert.Equal(stored, resolved.Stored);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.Replaces);
    }

    [Fact]
    public async Task Execute_OAuthTokenWithoutExpiry_ReturnsTheStoredTokenWithoutRefresh()
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", expiresAt: null);

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal("at-1", resolved.Credential.AccessToken);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Execute_OAuthTokenInsideTheMargin_RefreshedFirstAndTheNewTokenReturned()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(4));
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal(("at-2", "rt-2"), (resolved.Credential.AccessToken, resolved.Credential.RefreshToken));
        Assert.Equal(fakes.Store.Current(key), resolved.Stored);
        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(["expiring:refreshed"], fakes.RefreshesCounted);
    }

    [Fact]
    public async Task Execute_AnotherInstanceRefreshedMeanwhile_ReturnsItsTokenWithoutATokenRequest()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(4));
        var theirs = await fakes.SealAsync(new Credential(AccessToken: "at-theirs", RefreshToken: "rt-theirs", TokenType: "Bearer"), key);
        // Our point read was served before their write (e.g. from the cache); the refresher reads past it.
        fakes.Store.BeforeReadLatest = _ =>
        {
            fakes.Store.BeforeReadLatest = null;
            fakes.Store.Overwrite(key, c => c with { Credential = theirs, ExpiresAt = Now.AddHours(1) });
            return Task.CompletedTask;
        };

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal("at-theirs", resolved.Credential.AccessToken);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Execute_RefreshFailsForNowButTheTokenStillWorks_ReturnsTheStoredToken()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(4));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: null));

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal("at-1", resolved.Credential.AccessToken);
        Assert.Equal(1, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(ConnectionStatus.Active, resolved.Stored.Connection.Status);
    }

    [Fact]
    public async Task Execute_RefreshBackingOffAndTheTokenStillWorks_ReturnsTheStoredTokenWithoutATokenRequest()
    {
        await fakes.SeedOAuthAsync(
            User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddMinutes(4), c => c with { NextRefreshAttemptAt = Now.AddSeconds(30), LastRefreshError = "http_503" });

        var resolved = await ExecuteAsync(OAuthCo);

        Assert.Equal("at-1", resolved.Credential.AccessToken);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Execute_TokenExpiredAndTheRefreshFails_RefreshUnavailable()
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddSeconds(-10));
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("http_503", 503, RetryAfter: TimeSpan.FromMinutes(2)));

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(OAuthCo));

        Assert.Equal(ErrorCode.RefreshUnavailable, failure.Code);
        Assert.Contains("http_503", failure.Message, StringComparison.Ordinal);
        Assert.Contains(Now.AddMinutes(2).ToString("u"), failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("at-1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_RefreshRefusedWithInvalidGrant_NeedsReauthNamingTheReasonAndHowToReconnect()
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddMinutes(4));
        fakes.TokenEndpoint.Answer(new TokenResult.Rejected("invalid_grant", null));

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(OAuthCo));

        Assert.Equal(ErrorCode.NeedsReauth, failure.Code);
        Assert.Contains("invalid_grant", failure.Message, StringComparison.Ordinal);
        Assert.Contains("/api/mcp/oauthco/authorize", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ConnectionStatus.NeedsReauth)]
    [InlineData(ConnectionStatus.Revoked)]
    public async Task Execute_ConnectionNotActive_NeedsReauthWithoutATokenRequest(ConnectionStatus status)
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddMinutes(-1), c => c with { Status = status });

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(OAuthCo));

        Assert.Equal(ErrorCode.NeedsReauth, failure.Code);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
        Assert.Equal(0, fakes.Store.LatestReads);
    }

    [Fact]
    public async Task Execute_TokenExpiredWithoutARefreshToken_NeedsReauth()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", refreshToken: null, Now.AddMinutes(-1));

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(OAuthCo));

        Assert.Equal(ErrorCode.NeedsReauth, failure.Code);
        Assert.Contains("no_refresh_token", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionStatus.NeedsReauth, fakes.Store.Current(key)!.Connection.Status);
    }

    [Fact]
    public async Task Execute_OAuthProviderWithoutAClientHere_ReturnsTheStoredTokenWithoutRefresh()
    {
        var noClient = RefreshFakes.NoClientDescriptor;
        await fakes.SeedOAuthAsync(User1.KeyFor(noClient.Id, "default"), "at-1", "rt-1", Now.AddMinutes(1));

        var resolved = await ExecuteAsync(noClient);

        Assert.Equal("at-1", resolved.Credential.AccessToken);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Execute_ConnectionDeletedWhileRefreshing_NotConnected()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddMinutes(4));
        fakes.Store.BeforeReadLatest = k =>
        {
            fakes.Store.Remove(k);
            return Task.CompletedTask;
        };

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(OAuthCo));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task Execute_NothingConnected_NotConnectedWithHowToConnect()
    {
        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
        Assert.Contains("POST /api/mcp/keyco/connect", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ApiKeyDoesNotDecrypt_CredentialDecryptFailed()
    {
        var key = User1.KeyFor(KeyCo.Id, "default");
        await fakes.SeedApiKeyAsync(key, "key-123");
        fakes.Store.Overwrite(key, c => c with { Credential = c.Credential with { KeyId = "kek-retired" } });

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));

        Assert.Equal(ErrorCode.CredentialDecryptFailed, failure.Code);
        Assert.DoesNotContain("key-123", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_AnotherUsersConnectionOnly_NotConnected()
    {
        await fakes.SeedApiKeyAsync(RefreshFakes.Key(user: "user-2", provider: KeyCo.Id), "key-of-user-2");
        await fakes.SeedApiKeyAsync(RefreshFakes.Key(user: "user-2", provider: KeyCo.Id, account: "work"), "work-key-of-user-2");

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));
        var named = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo, "work"));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
        Assert.Equal(ErrorCode.NotConnected, named.Code);
        Assert.DoesNotContain("user-2", failure.Message + named.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_SameUserIdInAnotherTenant_NotConnected()
    {
        await fakes.SeedApiKeyAsync(new ConnectionKey("other-tenant", User1.UserId, KeyCo.Id, "default"), "key-of-the-other-tenant");

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
    }

    [Fact]
    public async Task Execute_CiphertextCopiedFromAnotherUsersDocument_CredentialDecryptFailed()
    {
        var theirs = await fakes.SeedApiKeyAsync(RefreshFakes.Key(user: "user-2", provider: KeyCo.Id), "key-of-user-2");
        var mine = User1.KeyFor(KeyCo.Id, "default");
        await fakes.SeedApiKeyAsync(mine, "key-of-user-1");
        fakes.Store.Overwrite(mine, c => c with { Credential = theirs.Connection.Credential });

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));

        Assert.Equal(ErrorCode.CredentialDecryptFailed, failure.Code);
    }

    [Fact]
    public async Task Execute_NamedAccount_ReturnsThatAccount()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "default"), "default-key");
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "work"), "work-key");

        var resolved = await ExecuteAsync(KeyCo, "work");

        Assert.Equal("work-key", resolved.Credential.ApiKey);
        Assert.Equal("work", resolved.Stored.Connection.Key.Account);
    }

    [Fact]
    public async Task Execute_NoAccountNamedAndADefaultAccount_ReturnsTheDefault()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "work"), "work-key");
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "default"), "default-key");

        var resolved = await ExecuteAsync(KeyCo);

        Assert.Equal("default-key", resolved.Credential.ApiKey);
        Assert.Equal(0, fakes.Store.Lists);
    }

    [Fact]
    public async Task Execute_NoAccountNamedNoDefaultAndOneAccountHere_ReturnsThatOne()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "work"), "work-key");
        // Accounts at other providers do not count.
        await fakes.SeedApiKeyAsync(User1.KeyFor(OAuthCo.Id, "personal"), "other-provider");

        var resolved = await ExecuteAsync(KeyCo);

        Assert.Equal("work-key", resolved.Credential.ApiKey);
    }

    [Fact]
    public async Task Execute_NoAccountNamedNoDefaultAndTwoAccounts_NotConnected()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "work"), "work-key");
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "personal"), "personal-key");

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
    }

    [Fact]
    public async Task Execute_NamedAccountMissing_NotConnectedWithoutFallingBackToAnother()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "work"), "work-key");

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo, "personal"));

        Assert.Equal(ErrorCode.NotConnected, failure.Code);
        Assert.Contains("'personal'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, fakes.Store.Lists);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("work\n")]
    [InlineData("a/b")]
    public async Task Execute_InvalidAccountName_ValidationErrorWithoutAStoreRead(string account)
    {
        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => ExecuteAsync(KeyCo, account));

        Assert.Equal(ErrorCode.ValidationError, failure.Code);
        Assert.Equal(0, fakes.Store.Reads);
    }

    [Fact]
    public async Task RenewRejected_ApiKey_NullWithoutATokenRequest()
    {
        await fakes.SeedApiKeyAsync(User1.KeyFor(KeyCo.Id, "default"), "key-123");
        var used = await ExecuteAsync(KeyCo);

        Assert.Null(await fakes.Resolver.RenewRejectedAsync(KeyCo, used, CancellationToken.None));
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task RenewRejected_OAuthTokenRejectedByTheProvider_RefreshedAndTheNewCredentialReturned()
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddHours(1));
        var used = await ExecuteAsync(OAuthCo);
        fakes.TokenEndpoint.Answer(FakeTokenEndpoint.Granted("at-2", "rt-2", Hour));

        var renewed = await fakes.Resolver.RenewRejectedAsync(OAuthCo, used, CancellationToken.None);

        Assert.Equal("at-2", renewed!.Credential.AccessToken);
        Assert.Equal(["rt-1"], fakes.TokenEndpoint.RefreshTokensPresented);
    }

    [Fact]
    public async Task RenewRejected_SomeoneReplacedTheCredentialMeanwhile_ReturnsTheirsWithoutATokenRequest()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddHours(1));
        var used = await ExecuteAsync(OAuthCo);
        var theirs = await fakes.SealAsync(new Credential(AccessToken: "at-theirs", RefreshToken: "rt-theirs", TokenType: "Bearer"), key);
        fakes.Store.Overwrite(key, c => c with { Credential = theirs });

        var renewed = await fakes.Resolver.RenewRejectedAsync(OAuthCo, used, CancellationToken.None);

        Assert.Equal("at-theirs", renewed!.Credential.AccessToken);
        Assert.Equal(0, fakes.TokenEndpoint.RefreshCalls);
    }

    [Fact]
    public async Task RenewRejected_RefreshRefused_NeedsReauth()
    {
        await fakes.SeedOAuthAsync(User1.KeyFor(OAuthCo.Id, "default"), "at-1", "rt-1", Now.AddHours(1));
        var used = await ExecuteAsync(OAuthCo);
        fakes.TokenEndpoint.Answer(new TokenResult.Rejected("invalid_grant", null));

        var failure = await Assert.ThrowsAsync<McpFunctionsException>(() => fakes.Resolver.RenewRejectedAsync(OAuthCo, used, CancellationToken.None));

        Assert.Equal(ErrorCode.NeedsReauth, failure.Code);
    }

    [Fact]
    public async Task RenewRejected_RefreshFailsForNow_NullAndTheConnectionKeptActive()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddHours(1));
        var used = await ExecuteAsync(OAuthCo);
        fakes.TokenEndpoint.Answer(new TokenResult.Failed("timeout", null, RetryAfter: null));

        Assert.Null(await fakes.Resolver.RenewRejectedAsync(OAuthCo, used, CancellationToken.None));
        Assert.Equal(ConnectionStatus.Active, fakes.Store.Current(key)!.Connection.Status);
    }

    [Fact]
    public async Task Touch_LastUseOlderThanTheResolution_RecordsNow()
    {
        var key = User1.KeyFor(KeyCo.Id, "default");
        await fakes.SeedApiKeyAsync(key, "key-123");
        var stored = fakes.Store.Overwrite(key, c => c with { LastUsedAt = Now - ResolveCredential.LastUsedResolution })!;

        await fakes.Resolver.TouchAsync(stored, CancellationToken.None);

        Assert.Equal(Now, fakes.Store.Current(key)!.Connection.LastUsedAt);
    }

    [Fact]
    public async Task Touch_UsedWithinTheResolution_NoWrite()
    {
        var key = User1.KeyFor(KeyCo.Id, "default");
        await fakes.SeedApiKeyAsync(key, "key-123");
        var stored = fakes.Store.Overwrite(key, c => c with { LastUsedAt = Now.AddSeconds(-59) })!;

        await fakes.Resolver.TouchAsync(stored, CancellationToken.None);

        Assert.Equal(0, fakes.Store.Replaces);
        Assert.Equal(Now.AddSeconds(-59), fakes.Store.Current(key)!.Connection.LastUsedAt);
    }

    [Fact]
    public async Task Touch_DocumentChangedMeanwhile_SkippedWithoutOverwriting()
    {
        var key = User1.KeyFor(OAuthCo.Id, "default");
        var stale = await fakes.SeedOAuthAsync(key, "at-1", "rt-1", Now.AddHours(1));
        var refreshed = fakes.Store.Overwrite(key, c => c with { LastRefreshedAt = Now })!;

        await fakes.Resolver.TouchAsync(stale, CancellationToken.None);

        Assert.Equal(refreshed, fakes.Store.Current(key));
        Assert.Equal(1, fakes.Store.LostReplaces);
    }

    [Fact]
    public async Task MarkRejected_StoredCredentialIsTheRejectedOne_MarkedNeedsReauthAndAnnounced()
    {
        var key = User1.KeyFor(KeyCo.Id, "default");
        var used = await fakes.SeedApiKeyAsync(key, "key-123");

        await fakes.Resolver.MarkRejectedAsync(used, CancellationToken.None);

        Assert.Equal(ConnectionStatus.NeedsReauth, fakes.Store.Current(key)!.Connection.Status);
        Assert.Equal([ConnectionEventTypes.NeedsReauth], fakes.Events.Types);
        Assert.Equal("provider_rejected_credential", fakes.Events.Published[0].Reason);
    }

    [Fact]
    public async Task MarkRejected_CredentialReplacedMeanwhile_NotMarked()
    {
        var key = User1.KeyFor(KeyCo.Id, "default");
        var used = await fakes.SeedApiKeyAsync(key, "old-key");
        await fakes.SeedApiKeyAsync(key, "new-key");

        await fakes.Resolver.MarkRejectedAsync(used, CancellationToken.None);

        Assert.Equal(ConnectionStatus.Active, fakes.Store.Current(key)!.Connection.Status);
        Assert.Empty(fakes.Events.Types);
    }

    private Task<ResolvedCredential> ExecuteAsync(ProviderDescriptor provider, string? account = null) =>
        fakes.Resolver.ExecuteAsync(User1, provider, account, CancellationToken.None);
}
