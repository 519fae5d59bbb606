using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.StandIns.KeyVault;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Adapters.KeyRing;

/// <summary>The Key Vault key ring through the real <see cref="SecretClient"/> (retry policy, bearer challenge, JSON)
/// against <see cref="KeyVaultStandIn"/>, a local HTTPS endpoint serving the secrets REST calls the SDK makes.
/// Every test name says StandIn for that reason.</summary>
public sealed class KeyVaultKeyRingTests : IAsyncLifetime
{
    private const string SecretName = "mcp-kek";
    private static readonly ConnectionKey Owner = new("tenant-1", "user-1", "notion", "default");

    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private readonly CapturingLogger logger = new();
    private readonly List<IDisposable> disposables = [];
    private KeyVaultStandIn standIn = null!;
    private FakeCredential credential = null!;

    public async Task InitializeAsync()
    {
        standIn = await KeyVaultStandIn.StartAsync(clock);
        credential = new FakeCredential(standIn.AccessToken);
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in disposables)
        {
            disposable.Dispose();
        }

        await standIn.DisposeAsync();
    }

    [Fact]
    public async Task GetCurrent_StandInWithThreeEnabledVersionsOverSeveralPages_LoadsAllAndNewestIsCurrent()
    {
        standIn.DefaultPageSize = 2;
        var (v1, m1) = AddVersion();
        var (v2, m2) = AddVersion();
        var (v3, m3) = AddVersion();
        using var ring = NewRing();

        var current = await ring.GetCurrentAsync(CancellationToken.None);

        Assert.Equal(KeyId(v3), current.Id);
        Assert.Equal(m3, current.Material);
        Assert.Equal(m1, (await ring.FindAsync(KeyId(v1), CancellationToken.None))!.Material);
        Assert.Equal(m2, (await ring.FindAsync(KeyId(v2), CancellationToken.None))!.Material);
        var authenticated = standIn.Requests.Where(r => r.Auth == KeyVaultRequestAuth.Accepted).ToList();
        Assert.Equal(2, authenticated.Count(r => r.PathAndQuery.Contains("/versions", StringComparison.Ordinal)));
        Assert.Contains(authenticated, r => r.PathAndQuery.Contains("$skiptoken", StringComparison.Ordinal));
        Assert.Equal(3, authenticated.Count(r => IsGetOfVersion(r, v1) || IsGetOfVersion(r, v2) || IsGetOfVersion(r, v3)));
    }

    [Fact]
    public async Task AddVersion_StandInRecordSealedUnderV1_StillOpensAndNewSealsUseV2()
    {
        var (v1, _) = AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        var sealedUnderV1 = await encryption.SealAsync(Encoding.UTF8.GetBytes("secret-token-1"), Owner, CancellationToken.None);
        Assert.Equal(KeyId(v1), sealedUnderV1.KeyId);
        clock.Advance(TimeSpan.FromMinutes(1));

        var v2KeyId = await ring.AddVersionAsync(CancellationToken.None);

        Assert.NotEqual(KeyId(v1), v2KeyId);
        Assert.Equal(v2KeyId, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Equal("secret-token-1", Encoding.UTF8.GetString(await encryption.OpenAsync(sealedUnderV1, Owner, CancellationToken.None)));
        var sealedUnderV2 = await encryption.SealAsync(Encoding.UTF8.GetBytes("secret-token-2"), Owner, CancellationToken.None);
        Assert.Equal(v2KeyId, sealedUnderV2.KeyId);
        Assert.Equal("secret-token-2", Encoding.UTF8.GetString(await encryption.OpenAsync(sealedUnderV2, Owner, CancellationToken.None)));
        var stored = Assert.Single(standIn.VersionsOf(SecretName), v => KeyId(v.Version) == v2KeyId);
        Assert.Equal(KeyVaultKeyRing.SecretContentType, stored.ContentType);
        Assert.True(stored.Enabled);
    }

    [Fact]
    public async Task GetCurrent_StandInNewestVersionDisabled_DisabledVersionIsNotLoaded()
    {
        var (v1, _) = AddVersion();
        var (v2, _) = AddVersion(enabled: false);
        using var ring = NewRing();

        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Null(await ring.FindAsync(KeyId(v2), CancellationToken.None));
        Assert.DoesNotContain(standIn.Requests, r => IsGetOfVersion(r, v2));
    }

    [Fact]
    public async Task FindAsync_StandInVersionDisabledAfterLoad_DroppedAtNextRefresh()
    {
        var (v1, _) = AddVersion();
        var (v2, _) = AddVersion();
        using var ring = NewRing();
        Assert.Equal(KeyId(v2), (await ring.GetCurrentAsync(CancellationToken.None)).Id);

        standIn.SetEnabled(SecretName, v2, enabled: false);
        clock.Advance(KeyVaultKeyRing.DefaultRefreshInterval + TimeSpan.FromSeconds(1));
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        await ring.LastRefresh;

        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Null(await ring.FindAsync(KeyId(v2), CancellationToken.None));
    }

    [Fact]
    public async Task GetCurrent_StandInThrottlesOnceWithRetryAfter_SdkWaitsAndRetries()
    {
        var (v1, _) = AddVersion();
        using var ring = NewRing();
        standIn.FailNext(1, 429, TimeSpan.FromSeconds(1));

        var current = await ring.GetCurrentAsync(CancellationToken.None);

        Assert.Equal(KeyId(v1), current.Id);
        var requests = standIn.Requests;
        var throttled = Assert.Single(requests, r => r.Status == 429);
        var next = requests[requests.ToList().IndexOf(throttled) + 1];
        Assert.Equal(throttled.PathAndQuery, next.PathAndQuery);
        Assert.True(next.ReceivedAt - throttled.ReceivedAt >= TimeSpan.FromMilliseconds(900), "the SDK should honour Retry-After: 1");
    }

    [Fact]
    public async Task GetCurrent_StandInUnavailableTwiceThenUp_SdkRetriesAndSucceeds()
    {
        var (v1, _) = AddVersion();
        using var ring = NewRing();
        standIn.FailNext(2, 503);

        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Equal(2, standIn.Requests.Count(r => r.Status == 503));
    }

    [Fact]
    public async Task SealAndOpen_StandInOfflineAfterLoad_KeepWorkingAndHealthStaysOk()
    {
        AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        var before = await encryption.SealAsync(Encoding.UTF8.GetBytes("before outage"), Owner, CancellationToken.None);

        standIn.Offline = true;
        clock.Advance(KeyVaultKeyRing.DefaultRefreshInterval + TimeSpan.FromSeconds(1));
        var during = await encryption.SealAsync(Encoding.UTF8.GetBytes("during outage"), Owner, CancellationToken.None);
        await ring.LastRefresh;

        Assert.Equal("before outage", Encoding.UTF8.GetString(await encryption.OpenAsync(before, Owner, CancellationToken.None)));
        Assert.Equal("during outage", Encoding.UTF8.GetString(await encryption.OpenAsync(during, Owner, CancellationToken.None)));
        await ring.CheckHealthAsync(CancellationToken.None);
        await new KeyRingHealthProbe(ring).CheckAsync(CancellationToken.None);
        Assert.Contains(standIn.Requests, r => r.Status == 503);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Refreshing Key Vault secret", StringComparison.Ordinal));

        // The failed refresh is retried a minute later, not on every call.
        var calls = standIn.RequestCount;
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        Assert.Equal(calls, standIn.RequestCount);
    }

    [Fact]
    public async Task GetCurrent_StandInOfflineBeforeAnyLoad_FailsAsServiceUnavailableThenRecovers()
    {
        var (v1, _) = AddVersion();
        using var ring = NewRing();
        standIn.Offline = true;

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.GetCurrentAsync(CancellationToken.None).AsTask());
        Assert.Equal(ErrorCode.ServiceUnavailable, ex.Code);
        Assert.Equal(503, Assert.IsType<RequestFailedException>(ex.InnerException).Status);
        await Assert.ThrowsAsync<McpFunctionsException>(() => ring.CheckHealthAsync(CancellationToken.None));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(SecretName, StringComparison.Ordinal));

        // Within the back-off, callers fail fast without calling Key Vault again.
        var calls = standIn.RequestCount;
        await Assert.ThrowsAsync<McpFunctionsException>(() => ring.FindAsync(KeyId(v1), CancellationToken.None).AsTask());
        Assert.Equal(calls, standIn.RequestCount);

        standIn.Offline = false;
        clock.Advance(KeyVaultKeyRing.FailedLoadBackoff + TimeSpan.FromSeconds(1));
        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(-1)]
    public async Task GetCurrent_StandInSecretNotBase64Of32Bytes_ThrowsNamingSecretAndVersionNotValue(int length)
    {
        var value = length < 0 ? "not*base64*" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) : Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
        var version = standIn.AddVersion(SecretName, value);
        using var ring = NewRing();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ring.GetCurrentAsync(CancellationToken.None).AsTask());

        Assert.Contains($"'{SecretName}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{version}'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Text.Contains(value, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FindAsync_StandInVersionAddedByAnotherInstance_FetchedOnceAndOpensItsRecord()
    {
        AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        _ = await ring.GetCurrentAsync(CancellationToken.None);

        // Another instance rotates: a new version appears in the vault, and it seals a record under it at once.
        clock.Advance(TimeSpan.FromMinutes(1));
        var (v2, m2) = AddVersion();
        var otherInstance = new EnvelopeEncryption(new LocalKeyRing([new KeyEncryptionKey(KeyId(v2), m2)]));
        var record = await otherInstance.SealAsync(Encoding.UTF8.GetBytes("sealed elsewhere"), Owner, CancellationToken.None);
        Assert.Equal(KeyId(v2), record.KeyId);

        Assert.Equal("sealed elsewhere", Encoding.UTF8.GetString(await encryption.OpenAsync(record, Owner, CancellationToken.None)));
        Assert.Equal("sealed elsewhere", Encoding.UTF8.GetString(await encryption.OpenAsync(record, Owner, CancellationToken.None)));

        Assert.Equal(1, standIn.Requests.Count(r => IsGetOfVersion(r, v2)));
        Assert.Equal(KeyId(v2), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
    }

    [Fact]
    public async Task FindAsync_StandInSecondRingRotates_FirstRingOpensRecordsOfBoth()
    {
        AddVersion();
        using var first = NewRing();
        using var second = NewRing();
        _ = await first.GetCurrentAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(1));

        var rotated = await second.AddVersionAsync(CancellationToken.None);
        var record = await new EnvelopeEncryption(second).SealAsync(Encoding.UTF8.GetBytes("from second"), Owner, CancellationToken.None);

        Assert.Equal(rotated, record.KeyId);
        Assert.Equal("from second", Encoding.UTF8.GetString(await new EnvelopeEncryption(first).OpenAsync(record, Owner, CancellationToken.None)));
    }

    [Fact]
    public async Task FindAsync_StandInGarbageAndForeignIds_NeverCallKeyVaultAndMissingVersionsAreRemembered()
    {
        AddVersion();
        using var ring = NewRing();
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        var calls = standIn.RequestCount;

        foreach (var id in new[] { "", "local-0123abcd", "kv:other-secret/" + NewVersionLike(), "kv:" + SecretName + "/not-a-version", "kv:" + SecretName + "/" + NewVersionLike() + "/x", "kv:" + SecretName.ToUpperInvariant() + "/" + NewVersionLike() })
        {
            Assert.Null(await ring.FindAsync(id, CancellationToken.None));
        }

        Assert.Equal(calls, standIn.RequestCount);

        var unknown = "kv:" + SecretName + "/" + NewVersionLike();
        Assert.Null(await ring.FindAsync(unknown, CancellationToken.None));
        Assert.Null(await ring.FindAsync(unknown, CancellationToken.None));
        Assert.Null(await ring.FindAsync(unknown, CancellationToken.None));
        Assert.Equal(calls + 1, standIn.RequestCount);
        Assert.Equal(404, standIn.Requests[^1].Status);

        clock.Advance(KeyVaultKeyRing.UnavailableVersionMemory + TimeSpan.FromSeconds(1));
        Assert.Null(await ring.FindAsync(unknown, CancellationToken.None));
        Assert.Equal(calls + 2, standIn.RequestCount);
    }

    [Fact]
    public async Task GetCurrent_StandInVersionAddedAfterRefreshInterval_PickedUpByBackgroundRefresh()
    {
        var (v1, _) = AddVersion();
        using var ring = NewRing();
        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        clock.Advance(TimeSpan.FromMinutes(1));
        var (v2, _) = AddVersion();

        Assert.Equal(KeyId(v1), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        clock.Advance(KeyVaultKeyRing.DefaultRefreshInterval);
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        await ring.LastRefresh;

        Assert.Equal(KeyId(v2), (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Equal(1, standIn.Requests.Count(r => IsGetOfVersion(r, v1)));
    }

    [Fact]
    public async Task GetCurrent_StandInManyConcurrentFirstCalls_LoadOnce()
    {
        AddVersion();
        using var ring = NewRing();

        var keys = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ring.GetCurrentAsync(CancellationToken.None).AsTask()));

        Assert.Single(keys.Select(k => k.Id).Distinct());
        Assert.Equal(1, standIn.Requests.Count(r => r.Auth == KeyVaultRequestAuth.Accepted && r.PathAndQuery.Contains("/versions", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Client_StandIn_AnswersChallengeWithBearerTokenForTheVaultScope()
    {
        AddVersion();
        using var ring = NewRing();

        _ = await ring.GetCurrentAsync(CancellationToken.None);

        // The SDK caches a vault's challenge per authority for the whole process, so a port reused from an
        // earlier stand-in may skip the 401 round trip; either way, only unauthenticated requests are challenged.
        var requests = standIn.Requests;
        Assert.All(requests.Where(r => r.Auth == KeyVaultRequestAuth.None), r => Assert.Equal(401, r.Status));
        var authenticated = requests.Where(r => r.Auth != KeyVaultRequestAuth.None).ToList();
        Assert.Equal(2, authenticated.Count);
        Assert.All(authenticated, r => Assert.Equal(KeyVaultRequestAuth.Accepted, r.Auth));
        Assert.All(authenticated, r => Assert.Equal(200, r.Status));
        Assert.All(requests, r => Assert.False(string.IsNullOrEmpty(r.ApiVersion)));
        Assert.Contains(credential.RequestedScopes, s => s == KeyVaultStandIn.Resource + "/.default");
    }

    [Fact]
    public async Task Client_StandInRejectsToken_FailsAsAccessDeniedNamingSecret()
    {
        AddVersion();
        using var ring = NewRing(new FakeCredential("not-the-stand-in-token"));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ring.GetCurrentAsync(CancellationToken.None).AsTask());

        Assert.Contains(SecretName, ex.Message, StringComparison.Ordinal);
        Assert.Equal(401, Assert.IsType<RequestFailedException>(ex.InnerException).Status);
        Assert.Contains(standIn.Requests, r => r.Auth == KeyVaultRequestAuth.Rejected && r.Status == 401);
    }

    [Fact]
    public async Task GetCurrent_StandInSecretWithoutEnabledVersions_ThrowsNamingSecret()
    {
        AddVersion(enabled: false);
        using var ring = NewRing();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ring.GetCurrentAsync(CancellationToken.None).AsTask());

        Assert.Contains($"'{SecretName}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no enabled version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_StandInFullLifecycle_NoSecretValueInRequestLogOrCapturedLogs()
    {
        var (_, m1) = AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        var record = await encryption.SealAsync(Encoding.UTF8.GetBytes("payload"), Owner, CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(1));
        var added = await ring.AddVersionAsync(CancellationToken.None);
        var addedMaterial = (await ring.FindAsync(added, CancellationToken.None))!.Material;
        _ = await encryption.OpenAsync(record, Owner, CancellationToken.None);
        standIn.Offline = true;
        clock.Advance(KeyVaultKeyRing.DefaultRefreshInterval + TimeSpan.FromSeconds(1));
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        await ring.LastRefresh;

        var values = new[] { Convert.ToBase64String(m1), Convert.ToBase64String(addedMaterial) };
        var requestLog = string.Join("\n", standIn.Requests.Select(r => r.ToString()));
        Assert.NotEmpty(logger.Entries);
        Assert.Contains(standIn.Requests, r => r.Method == "PUT" && r.Status == 200);
        foreach (var value in values)
        {
            Assert.DoesNotContain(value, requestLog, StringComparison.Ordinal);
            Assert.DoesNotContain(value, Uri.EscapeDataString(requestLog), StringComparison.Ordinal);
            Assert.DoesNotContain(logger.Entries, e => e.Text.Contains(value, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(standIn.AccessToken, requestLog, StringComparison.Ordinal);
    }

    private static bool IsGetOfVersion(KeyVaultRequest request, string version) =>
        request.Method == "GET" && request.Auth == KeyVaultRequestAuth.Accepted
        && request.PathAndQuery.Contains("/" + version, StringComparison.OrdinalIgnoreCase);

    private static string KeyId(string version) => KeyVaultKeyRing.KeyIdFor(SecretName, version);

    private static string NewVersionLike() => Guid.NewGuid().ToString("N");

    /// <summary>Adds a random 32-byte version (as the portal or another instance would) and moves the clock on a
    /// second, so versions have distinct creation times as they would in a real rotation.</summary>
    private (string Version, byte[] Material) AddVersion(bool enabled = true)
    {
        var material = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
        var version = standIn.AddVersion(SecretName, Convert.ToBase64String(material), enabled, KeyVaultKeyRing.SecretContentType);
        clock.Advance(TimeSpan.FromSeconds(1));
        return (version, material);
    }

    private KeyVaultKeyRing NewRing(TokenCredential? tokenCredential = null)
    {
        var options = KeyVaultKeyRing.CreateClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        options.DisableChallengeResourceVerification = true;
        var http = new HttpClient(standIn.CreateTrustingHandler());
        disposables.Add(http);
        options.Transport = new HttpClientTransport(http);
        var client = new SecretClient(standIn.VaultUri, tokenCredential ?? credential, options);
        return new KeyVaultKeyRing(client, SecretName, clock, logger);
    }

    private sealed class FakeCredential(string token) : TokenCredential
    {
        private readonly ConcurrentQueue<string> scopes = new();

        public IReadOnlyCollection<string> RequestedScopes => scopes;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
            {
                scopes.Enqueue(scope);
            }

            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }

    private sealed record LogEntry(LogLevel Level, string Message, string? Exception)
    {
        public string Text => Message + "\n" + Exception;
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly ConcurrentQueue<LogEntry> entries = new();

        public IReadOnlyCollection<LogEntry> Entries => entries;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The structured values too, not only the rendered message, so nothing escapes the check.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            entries.Enqueue(new LogEntry(logLevel, formatter(state, exception) + " | " + values, exception?.ToString()));
        }
    }
}
