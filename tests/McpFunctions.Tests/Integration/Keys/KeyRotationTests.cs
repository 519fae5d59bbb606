using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Keys;
using McpFunctions.Http.Admin;
using McpFunctions.Http.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static McpFunctions.Tests.Integration.Keys.KeyTestSupport;

namespace McpFunctions.Tests.Integration.Keys;

/// <summary>Key rotation end to end: the LocalHost on the real local Cosmos and Redis, its key ring the Key Vault ring
/// reaching the Key Vault stand-in through the real SecretClient (hence StandIn in every name).</summary>
public sealed class KeyRotationTests
{
    private const string Tenant = "rot";

    [Fact]
    public async Task Rotation_StandIn1000CredentialsUnderV1_RewrapCutOffAndResumed_AllOpenUnderV2AndCallsKeepWorking()
    {
        var now = DateTimeOffset.UtcNow;
        await using var vault = await StandInVault.StartAsync();
        var v1 = vault.AddVersion(createdOn: now.AddHours(-2));
        await using var host = await StartOnVaultAsync(vault);
        var seeds = await SeedAsync(host, Tenant, 1000);
        var users = new List<(string Token, string Key)>();
        for (var i = 0; i < 3; i++)
        {
            users.Add(await McpRpc.ConnectedUserAsync(host, "Rotation " + i));
        }

        var before = await ReportAsync(host);
        Assert.Equal(v1, before.GetProperty("current_key_id").GetString());
        Assert.Equal(1003, Counts(before)[v1]);
        Assert.Equal(0, before.GetProperty("not_under_current").GetInt32());

        // An operator added v2 in the portal half an hour ago; every instance has refreshed since. Reload picks it up here.
        var v2 = vault.AddVersion(createdOn: now.AddMinutes(-30));
        var (reloadStatus, rotated) = await SendAsync(host, HttpMethod.Post, KeysApi.RotateRoute + "?reload=true", AdminToken());
        Assert.Equal(HttpStatusCode.OK, reloadStatus);
        Assert.Equal(v2, rotated.GetProperty("current_key_id").GetString());
        Assert.Equal(1003, Counts(rotated)[v1]);
        Assert.Equal(0, Counts(rotated)[v2]);
        Assert.Equal(1003, rotated.GetProperty("not_under_current").GetInt32());
        Assert.Empty(Strings(rotated, "safe_to_disable"));

        // Pass 1 is cut off after its 300th write; half-way through, tool calls and status reads run.
        using var cut = new CancellationTokenSource();
        var midPassFailures = new List<string>();
        var store = new ObservedStore(host.Services.GetStore())
        {
            AfterReplace = async n =>
            {
                if (n == 150)
                {
                    midPassFailures.AddRange(await CallsAsync(host, users, seeds.Take(20)));
                }

                if (n == 300)
                {
                    await cut.CancelAsync();
                }
            },
        };
        var job = NewJob(host, store);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.RunOnceAsync(null, cut.Token));
        Assert.Empty(midPassFailures);
        var afterCut = Counts(await ReportAsync(host));
        Assert.InRange(afterCut[v2], 300, 1002);
        Assert.Equal(1003, afterCut[v1] + afterCut[v2]);

        // Pass 2 is bounded by ?max and pass 3 finishes; calls run concurrently with both.
        var (pass2, pass3, concurrentFailures, concurrentCalls) = await WhileCallingAsync(host, users, seeds, async () =>
            (await RewrapAsync(host, max: 300), await RewrapAsync(host)));
        Assert.Empty(concurrentFailures);
        Assert.True(concurrentCalls > 0);

        Assert.Equal(v2, pass2.GetProperty("current_key_id").GetString());
        Assert.Equal(300, pass2.GetProperty("rewrapped").GetInt32() + pass2.GetProperty("skipped").GetInt32());
        Assert.Equal(0, pass2.GetProperty("failed").GetInt32());
        Assert.False(pass2.GetProperty("complete").GetBoolean());
        Assert.Equal(afterCut[v1] - 300, pass2.GetProperty("remaining").GetInt32());

        Assert.True(pass3.GetProperty("complete").GetBoolean());
        Assert.Equal(0, pass3.GetProperty("remaining").GetInt32());
        Assert.Equal(0, pass3.GetProperty("failed").GetInt32());
        Assert.Equal(afterCut[v1] - 300, pass3.GetProperty("rewrapped").GetInt32());

        var after = await ReportAsync(host);
        Assert.Equal(0, Counts(after)[v1]);
        Assert.Equal(1003, Counts(after)[v2]);
        Assert.Equal(0, after.GetProperty("not_under_current").GetInt32());
        Assert.Equal([v1], Strings(after, "unused_key_ids"));
        Assert.Equal([v1], Strings(after, "safe_to_disable"));

        // The operator disables v1 as the report allows; every credential still opens, under v2, with its own secret.
        vault.Disable(v1);
        var reloaded = (await SendAsync(host, HttpMethod.Post, KeysApi.RotateRoute + "?reload=true", AdminToken())).Body;
        Assert.DoesNotContain(v1, Counts(reloaded).Keys);
        var protector = host.Services.GetProtector();
        var stores = host.Services.GetStore();
        await Parallel.ForEachAsync(seeds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (seed, ct) =>
        {
            var stored = await stores.ReadLatestAsync(seed.Key, ct);
            Assert.Equal(v2, stored!.Connection.Credential.KeyId);
            Assert.Equal(seed.Secret, (await protector.UnprotectAsync(stored.Connection.Credential, seed.Key, ct)).ApiKey);
        });
        Assert.Empty(await CallsAsync(host, users, seeds.Skip(500).Take(20)));

        // Still bound to its owner: a re-wrapped credential copied into another user's document does not open there.
        var first = (await stores.ReadLatestAsync(seeds[1].Key, CancellationToken.None))!;
        var second = (await stores.ReadLatestAsync(seeds[2].Key, CancellationToken.None))!;
        Assert.NotNull(await stores.TryReplaceAsync(second.Connection with { Credential = first.Connection.Credential }, second.ETag, CancellationToken.None));
        var (copiedStatus, copied) = await SendAsync(host, HttpMethod.Get, "/api/mcp/notion/status", TestTokens.For(seeds[2].Key.UserId, Tenant));
        Assert.Equal(HttpStatusCode.Conflict, copiedStatus);
        Assert.Equal("CREDENTIAL_DECRYPT_FAILED", copied.GetProperty("code").GetString());

        // Nothing secret in any log line: neither a credential nor a key version's material.
        var logs = host.Logs.All;
        Assert.Contains("Key re-wrap under", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(vault.KeyOf(v1).Material), logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(vault.KeyOf(v2).Material), logs, StringComparison.Ordinal);
        Assert.DoesNotContain(seeds.Take(50), s => logs.Contains(s.Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(users, u => logs.Contains(u.Key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rewrap_StandInCredentialReplacedConcurrently_NewerCredentialIsNeverOverwritten(bool staleWriterUnderOldKey)
    {
        var now = DateTimeOffset.UtcNow;
        await using var vault = await StandInVault.StartAsync();
        var v1 = vault.AddVersion(createdOn: now.AddHours(-2));
        await using var host = await StartOnVaultAsync(vault);
        var seeds = await SeedAsync(host, Tenant, 20);
        var v2 = vault.AddVersion(createdOn: now.AddHours(-1));
        await host.Services.GetRequiredService<IKeyRotation>().ReloadAsync(CancellationToken.None);

        // Just before the pass writes the target, another writer replaces its credential: a refresh on an up-to-date
        // instance (sealed under v2), or on an instance that has not picked up v2 yet (sealed under v1).
        var target = seeds[7].Key;
        var writer = staleWriterUnderOldKey
            ? new CredentialProtector(new EnvelopeEncryption(new LocalKeyRing([vault.KeyOf(v1)])), McpJsonContext.Default.Credential)
            : host.Services.GetProtector();
        EncryptedCredential? concurrent = null;
        var inner = host.Services.GetStore();
        var store = new ObservedStore(inner)
        {
            BeforeReplace = async connection =>
            {
                if (connection.Key != target || concurrent is not null)
                {
                    return;
                }

                var latest = (await inner.ReadLatestAsync(target, CancellationToken.None))!;
                concurrent = await writer.ProtectAsync(new Credential(ApiKey: "ntn_refreshed_meanwhile"), target, CancellationToken.None);
                Assert.NotNull(await inner.TryReplaceAsync(latest.Connection with { Credential = concurrent }, latest.ETag, CancellationToken.None));
            },
        };

        var result = await NewJob(host, store).RunOnceAsync(null, CancellationToken.None);

        Assert.NotNull(concurrent);
        Assert.Equal(staleWriterUnderOldKey ? v1 : v2, concurrent.KeyId);
        var stored = (await inner.ReadLatestAsync(target, CancellationToken.None))!;
        Assert.Equal(v2, stored.Connection.Credential.KeyId);
        Assert.Equal("ntn_refreshed_meanwhile", (await host.Services.GetProtector().UnprotectAsync(stored.Connection.Credential, target, CancellationToken.None)).ApiKey);
        if (staleWriterUnderOldKey)
        {
            // Re-read, still under v1: the newer credential was re-wrapped, not replaced by the one read before.
            Assert.Equal(concurrent.Ciphertext, stored.Connection.Credential.Ciphertext);
            Assert.Equal(20, result.Rewrapped);
            Assert.Equal(0, result.Skipped);
        }
        else
        {
            // Re-read, already under v2: left exactly as the other writer wrote it.
            Assert.Equal(concurrent, stored.Connection.Credential);
            Assert.Equal(19, result.Rewrapped);
            Assert.Equal(1, result.Skipped);
        }

        Assert.True(result.Complete);
        Assert.Equal(0, result.Remaining);
        foreach (var seed in seeds.Where(s => s.Key != target))
        {
            var other = (await inner.ReadLatestAsync(seed.Key, CancellationToken.None))!;
            Assert.Equal(seed.Secret, (await host.Services.GetProtector().UnprotectAsync(other.Connection.Credential, seed.Key, CancellationToken.None)).ApiKey);
        }
    }

    [Fact]
    public async Task Rewrap_StandInCredentialsUnderDisabledVersion_CountedByKeyNeverStopTheRunAndReportShowsThem()
    {
        var now = DateTimeOffset.UtcNow;
        await using var vault = await StandInVault.StartAsync();
        var v0 = vault.AddVersion(createdOn: now.AddHours(-3));
        await using var host = await StartOnVaultAsync(vault, s => s["Rewrap:PageSize"] = "2");
        var rotation = host.Services.GetRequiredService<IKeyRotation>();
        await SeedAsync(host, "lost", 5);
        var v1 = vault.AddVersion(createdOn: now.AddHours(-2));
        await rotation.ReloadAsync(CancellationToken.None);
        var movable = await SeedAsync(host, Tenant, 12);
        var v2 = vault.AddVersion(createdOn: now.AddHours(-1));
        vault.Disable(v0);
        await rotation.ReloadAsync(CancellationToken.None);

        var first = await RewrapAsync(host);
        var second = await RewrapAsync(host);

        // More failures than a page holds: the pass still reaches every movable credential and ends.
        Assert.Equal(12, first.GetProperty("rewrapped").GetInt32());
        foreach (var pass in new[] { first, second })
        {
            Assert.Equal(5, pass.GetProperty("failed").GetInt32());
            Assert.Equal(5, pass.GetProperty("failed_by_key").GetProperty(v0).GetInt32());
            Assert.Equal(5, pass.GetProperty("remaining").GetInt32());
            Assert.True(pass.GetProperty("complete").GetBoolean());
        }

        Assert.Equal(0, second.GetProperty("rewrapped").GetInt32());
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("could not open 5 credentials", StringComparison.Ordinal) && l.Contains(v0, StringComparison.Ordinal));

        var report = await ReportAsync(host);
        Assert.Equal(5, Counts(report)[v0]);
        Assert.Equal(12, Counts(report)[v2]);
        Assert.Equal([v0], Strings(report, "not_held_key_ids"));
        Assert.False(report.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == v0).GetProperty("held").GetBoolean());
        Assert.Equal([v1], Strings(report, "unused_key_ids"));
        Assert.Equal(5, report.GetProperty("not_under_current").GetInt32());
        var protector = host.Services.GetProtector();
        foreach (var seed in movable)
        {
            var stored = (await host.Services.GetStore().ReadLatestAsync(seed.Key, CancellationToken.None))!;
            Assert.Equal(seed.Secret, (await protector.UnprotectAsync(stored.Connection.Credential, seed.Key, CancellationToken.None)).ApiKey);
        }
    }

    [Fact]
    public async Task Rewrap_StandInCredentialUnderVersionThatIsNotAKey_CountedAsFailedAndThePassGoesOn()
    {
        var now = DateTimeOffset.UtcNow;
        await using var vault = await StandInVault.StartAsync();
        vault.AddVersion(createdOn: now.AddHours(-2));
        await using var host = await StartOnVaultAsync(vault);
        var movable = await SeedAsync(host, Tenant, 6);
        var v2 = vault.AddVersion(createdOn: now.AddHours(-1));

        // Someone put 16 bytes into a version, and a record claims to be sealed under it.
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var broken = StandInVault.KeyIdOf(vault.Server.AddVersion(StandInVault.SecretName, value, createdOn: now.AddHours(-3)));
        var claimed = new CredentialProtector(
            new EnvelopeEncryption(new LocalKeyRing([new KeyEncryptionKey(broken, RandomNumberGenerator.GetBytes(32))])), McpJsonContext.Default.Credential);
        await SeedAsync(host, "broken", 2, claimed);

        var pass = await RewrapAsync(host);

        Assert.Equal(6, pass.GetProperty("rewrapped").GetInt32());
        Assert.Equal(2, pass.GetProperty("failed_by_key").GetProperty(broken).GetInt32());
        Assert.True(pass.GetProperty("complete").GetBoolean());
        Assert.Equal(v2, pass.GetProperty("current_key_id").GetString());
        Assert.DoesNotContain(value, host.Logs.All, StringComparison.Ordinal);
        foreach (var seed in movable)
        {
            var stored = (await host.Services.GetStore().ReadLatestAsync(seed.Key, CancellationToken.None))!;
            Assert.Equal(v2, stored.Connection.Credential.KeyId);
        }
    }

    [Fact]
    public async Task Rotate_StandInAddsVersion_NewCurrentAtOnceButOldVersionNotSafeToDisableUntilSettled()
    {
        await using var vault = await StandInVault.StartAsync();
        var v1 = vault.AddVersion(createdOn: DateTimeOffset.UtcNow.AddHours(-2));
        await using var host = await StartOnVaultAsync(vault);
        await SeedAsync(host, Tenant, 10);

        var (status, rotated) = await SendAsync(host, HttpMethod.Post, KeysApi.RotateRoute, AdminToken());

        Assert.Equal(HttpStatusCode.OK, status);
        var added = rotated.GetProperty("added_key_id").GetString()!;
        Assert.NotEqual(v1, added);
        Assert.Equal(added, rotated.GetProperty("current_key_id").GetString());
        Assert.Equal(2, vault.Server.VersionsOf(StandInVault.SecretName).Count);
        Assert.Equal(new Dictionary<string, int> { [added] = 0, [v1] = 10 }, Counts(rotated));
        Assert.True(rotated.GetProperty("settled_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);

        var (token, _) = await McpRpc.ConnectedUserAsync(host, "After rotation");
        var pass = await RewrapAsync(host);
        var report = await ReportAsync(host);

        Assert.Equal(10, pass.GetProperty("rewrapped").GetInt32());
        Assert.Equal(11, Counts(report)[added]);
        Assert.Equal([v1], Strings(report, "unused_key_ids"));
        Assert.Empty(Strings(report, "safe_to_disable"));
        Assert.Contains(host.Logs.Lines, l => l.Contains("Key rotation:", StringComparison.Ordinal) && l.Contains(added, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, HttpMethod.Get, "/api/mcp/notion/status", token)).Status);
    }

    [Fact]
    public async Task KeyVaultOutage_StandInOfflineAfterKeysLoaded_CallsAndRewrapKeepWorkingRotateAnswers503()
    {
        await using var vault = await StandInVault.StartAsync();
        vault.AddVersion(createdOn: DateTimeOffset.UtcNow.AddHours(-2));
        await using var host = await StartOnVaultAsync(vault);
        var seeds = await SeedAsync(host, Tenant, 30);
        var user = await McpRpc.ConnectedUserAsync(host, "Outage");
        var added = (await SendAsync(host, HttpMethod.Post, KeysApi.RotateRoute, AdminToken())).Body.GetProperty("added_key_id").GetString()!;

        vault.Server.Offline = true;

        Assert.Empty(await CallsAsync(host, [user], seeds.Take(10)));
        using (var health = await host.SendAsync(HttpMethod.Get, "/api/health", null))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var pass = await RewrapAsync(host);
        Assert.Equal(31, pass.GetProperty("rewrapped").GetInt32());
        Assert.True(pass.GetProperty("complete").GetBoolean());
        Assert.Contains(host.Logs.Lines, l => l.Contains("could not reload the key ring", StringComparison.Ordinal));
        Assert.Equal(31, Counts(await ReportAsync(host))[added]);
        foreach (var path in new[] { KeysApi.RotateRoute, KeysApi.RotateRoute + "?reload=true" })
        {
            var (status, problem) = await SendAsync(host, HttpMethod.Post, path, AdminToken());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("SERVICE_UNAVAILABLE", problem.GetProperty("code").GetString());
        }

        Assert.Contains(vault.Server.Requests, r => r.Status == 503);
        Assert.Empty(await CallsAsync(host, [user], seeds.Skip(10).Take(10)));

        vault.Server.Offline = false;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, HttpMethod.Post, KeysApi.RotateRoute + "?reload=true", AdminToken())).Status);
    }

    private static KeyRewrapJob NewJob(TestHost host, IConnectionStore store) => new(
        store,
        host.Services.GetRequiredService<EnvelopeEncryption>(),
        host.Services.GetRequiredService<IKeyRing>(),
        host.Services.GetRequiredService<IKeyRotation>(),
        host.Services.GetRequiredService<RewrapOptions>(),
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<KeyRewrapJob>());

    /// <summary>A tool call per connected user and a status read per seed; returns a line per failure.</summary>
    private static async Task<List<string>> CallsAsync(TestHost host, IEnumerable<(string Token, string Key)> users, IEnumerable<Seed> seeds)
    {
        var failures = new List<string>();
        foreach (var (token, _) in users)
        {
            var result = await McpRpc.ToolAsync(host, token, "notion_search_pages", """{"query":""}""");
            if (McpRpc.IsError(result))
            {
                failures.Add("tool: " + McpRpc.Text(result));
            }
        }

        foreach (var seed in seeds)
        {
            var (status, body) = await SendAsync(host, HttpMethod.Get, "/api/mcp/notion/status", TestTokens.For(seed.Key.UserId, seed.Key.TenantId));
            if (status != HttpStatusCode.OK || !body.GetProperty("connected").GetBoolean())
            {
                failures.Add($"status {seed.Key.UserId}: {status} {body}");
            }
        }

        return failures;
    }

    /// <summary>Runs <paramref name="work"/> while rounds of calls run beside it (at least one round, more while it lasts).</summary>
    private static async Task<(JsonElement First, JsonElement Second, List<string> Failures, int Calls)> WhileCallingAsync(
        TestHost host, List<(string Token, string Key)> users, IReadOnlyList<Seed> seeds, Func<Task<(JsonElement, JsonElement)>> work)
    {
        var running = work();
        var failures = new List<string>();
        var rounds = 0;
        do
        {
            failures.AddRange(await CallsAsync(host, users, seeds.Skip(rounds * 7 % 900).Take(7)));
            rounds++;
        }
        while (!running.IsCompleted);

        var (first, second) = await running;
        return (first, second, failures, rounds);
    }
}
