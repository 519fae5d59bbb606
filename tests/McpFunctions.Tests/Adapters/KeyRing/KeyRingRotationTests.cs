using System.Security.Cryptography;
using System.Text;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Adapters.KeyRing;

/// <summary>The rotation port (describe, add a version, reload) of both key rings; the Key Vault ring through the real
/// SecretClient against the Key Vault stand-in, so every such test says StandIn.</summary>
public sealed class KeyRingRotationTests : IAsyncLifetime
{
    private static readonly ConnectionKey Owner = new("tenant-1", "user-1", "notion", "default");

    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private readonly CapturedLogs logs = new();
    private StandInVault vault = null!;

    public async Task InitializeAsync() => vault = await StandInVault.StartAsync(clock);

    public async Task DisposeAsync() => await vault.DisposeAsync();

    [Fact]
    public async Task Describe_StandInThreeVersions_NewestFirstWithCreationTimeAndRefreshInterval()
    {
        var v1 = AddVersion();
        var v2 = AddVersion();
        var created = clock.GetUtcNow();
        var v3 = AddVersion();
        using var ring = NewRing(TimeSpan.FromMinutes(3));

        var state = await ring.DescribeAsync(CancellationToken.None);

        Assert.Equal("KeyVault", state.Source);
        Assert.True(state.CanRotate);
        Assert.Equal(v3, state.CurrentKeyId);
        Assert.Equal([v3, v2, v1], state.KeyIds);
        Assert.Equal(TruncateToSeconds(created), state.CurrentSince);
        Assert.Equal(TimeSpan.FromMinutes(3), state.PropagationDelay);
    }

    [Fact]
    public async Task Reload_StandInVersionAddedInPortal_CurrentAtOnceWithoutWaitingForRefresh()
    {
        var v1 = AddVersion();
        using var ring = NewRing();
        Assert.Equal(v1, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        var v2 = AddVersion();

        // Within the refresh interval the ring still serves v1; an explicit reload does not wait.
        Assert.Equal(v1, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        await ring.ReloadAsync(CancellationToken.None);

        Assert.Equal(v2, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.NotNull(await ring.FindAsync(v1, CancellationToken.None));
    }

    [Fact]
    public async Task Reload_StandInOffline_ServiceUnavailableAndHeldKeysKeepSealingAndOpening()
    {
        var v1 = AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        var before = await encryption.SealAsync(Encoding.UTF8.GetBytes("before"), Owner, CancellationToken.None);
        vault.Server.Offline = true;

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.ReloadAsync(CancellationToken.None));
        var during = await encryption.SealAsync(Encoding.UTF8.GetBytes("during"), Owner, CancellationToken.None);

        Assert.Equal(ErrorCode.ServiceUnavailable, ex.Code);
        Assert.Equal(v1, during.KeyId);
        Assert.Equal("before", Encoding.UTF8.GetString(await encryption.OpenAsync(before, Owner, CancellationToken.None)));
        Assert.Equal("during", Encoding.UTF8.GetString(await encryption.OpenAsync(during, Owner, CancellationToken.None)));
        await new KeyRingHealthProbe(ring).CheckAsync(CancellationToken.None);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Reloading Key Vault secret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(48)]
    public async Task Reload_StandInPortalVersionOfWrongLength_KeyRotationUnsupportedNamingSettingAndVersionKeysUnchanged(int length)
    {
        var v1 = AddVersion();
        using var ring = NewRing();
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
        var bad = vault.Server.AddVersion(StandInVault.SecretName, value);

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.ReloadAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.KeyRotationUnsupported, ex.Code);
        Assert.Contains("KEY_VAULT__secretName", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{bad}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{length} bytes", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(value, logs.All, StringComparison.Ordinal);
        Assert.Equal(v1, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
    }

    [Fact]
    public async Task Load_StandInOlderVersionNotAKey_SkippedWithAnErrorAndTheOthersServe()
    {
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(20));
        var bad = StandInVault.KeyIdOf(vault.Server.AddVersion(StandInVault.SecretName, value));
        clock.Advance(TimeSpan.FromSeconds(1));
        var v2 = AddVersion();
        using var ring = NewRing();

        var state = await ring.DescribeAsync(CancellationToken.None);
        var calls = vault.Server.RequestCount;

        Assert.Equal(v2, state.CurrentKeyId);
        Assert.Equal([v2], state.KeyIds);
        Assert.Null(await ring.FindAsync(bad, CancellationToken.None));
        Assert.Equal(calls, vault.Server.RequestCount);
        Assert.Contains(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains(bad, StringComparison.Ordinal));
        Assert.DoesNotContain(value, logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddVersion_StandInThrottlesThePutOnce_RetriedAfterRetryAfterAndExactlyOneVersionAdded()
    {
        AddVersion();
        using var ring = NewRing();
        _ = await ring.GetCurrentAsync(CancellationToken.None);
        vault.Server.ClearRequests();
        vault.Server.FailNext(1, 429, TimeSpan.FromSeconds(1));

        var added = await ring.AddVersionAsync(CancellationToken.None);

        Assert.Equal(added, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Equal(2, vault.Server.VersionsOf(StandInVault.SecretName).Count);
        var puts = vault.Server.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal([429, 200], puts.Select(p => p.Status));
    }

    [Fact]
    public async Task AddVersion_StandInThrottledLongerThanTheRetries_ServiceUnavailableAndCurrentUnchanged()
    {
        var v1 = AddVersion();
        using var ring = NewRing();
        var encryption = new EnvelopeEncryption(ring);
        var record = await encryption.SealAsync(Encoding.UTF8.GetBytes("payload"), Owner, CancellationToken.None);
        vault.Server.ClearRequests();
        vault.Server.FailNext(10, 429, TimeSpan.Zero);

        var ex = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.AddVersionAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.ServiceUnavailable, ex.Code);
        Assert.True(vault.Server.Requests.Count(r => r.Status == 429) > 1, "the SDK should retry a throttled request");
        Assert.Equal(v1, (await ring.GetCurrentAsync(CancellationToken.None)).Id);
        Assert.Single(vault.Server.VersionsOf(StandInVault.SecretName));
        Assert.Equal("payload", Encoding.UTF8.GetString(await encryption.OpenAsync(record, Owner, CancellationToken.None)));
    }

    [Fact]
    public async Task Local_DescribeAndRotate_ListsCurrentThenPreviousAndRefusesWithAdvice()
    {
        var previous = LocalKeyRing.GenerateBase64Key();
        var current = LocalKeyRing.GenerateBase64Key();
        var ring = LocalKeyRing.FromBase64(current, [previous]);

        var state = await ring.DescribeAsync(CancellationToken.None);
        var add = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.AddVersionAsync(CancellationToken.None));
        var reload = await Assert.ThrowsAsync<McpFunctionsException>(() => ring.ReloadAsync(CancellationToken.None));

        Assert.Equal("Local", state.Source);
        Assert.False(state.CanRotate);
        Assert.Null(state.CurrentSince);
        Assert.Equal([LocalKeyRing.KeyIdFor(Convert.FromBase64String(current)), LocalKeyRing.KeyIdFor(Convert.FromBase64String(previous))], state.KeyIds);
        Assert.Equal(state.KeyIds[0], state.CurrentKeyId);
        foreach (var ex in new[] { add, reload })
        {
            Assert.Equal(ErrorCode.KeyRotationUnsupported, ex.Code);
            Assert.Contains("MCP_ENCRYPTION_KEY_PREVIOUS", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(current, ex.Message, StringComparison.Ordinal);
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    /// <summary>Adds a version and moves the clock on a second, so versions have distinct creation times as in a real rotation.</summary>
    private string AddVersion()
    {
        var keyId = vault.AddVersion();
        clock.Advance(TimeSpan.FromSeconds(1));
        return keyId;
    }

    private KeyVaultKeyRing NewRing(TimeSpan? refreshInterval = null) =>
        vault.NewRing(clock, logs.CreateLogger(nameof(KeyVaultKeyRing)), refreshInterval);

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }
}
