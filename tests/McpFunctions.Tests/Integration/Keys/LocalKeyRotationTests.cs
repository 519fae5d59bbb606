using System.Net;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Credentials;
using McpFunctions.Http.Admin;
using McpFunctions.Http.Json;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Keys.KeyTestSupport;

namespace McpFunctions.Tests.Integration.Keys;

/// <summary>Rotation with the local key ring (new key in MCP_ENCRYPTION_KEY, old in _PREVIOUS) and the admin-role setting,
/// each on its own LocalHost over the real local Cosmos and Redis.</summary>
public sealed class LocalKeyRotationTests
{
    [Fact]
    public async Task Rotation_LocalRingNewKeyWithPreviousSet_RewrapMovesAllAndOldKeyBecomesSafeToDisable()
    {
        var oldKey = LocalKeyRing.GenerateBase64Key();
        var oldId = LocalKeyRing.KeyIdFor(Convert.FromBase64String(oldKey));
        await using var host = await TestHost.StartAsync(s => s[LocalKeyRing.PreviousSettingName] = oldKey);
        var newId = LocalKeyRing.KeyIdFor(Convert.FromBase64String(host.EncryptionKey));
        var beforeRestart = new CredentialProtector(new EnvelopeEncryption(LocalKeyRing.FromBase64(oldKey)), McpJsonContext.Default.Credential);
        var seeds = await SeedAsync(host, "local", 40, beforeRestart);

        var before = await ReportAsync(host);
        var pass = await RewrapAsync(host);
        var after = await ReportAsync(host);

        Assert.Equal(newId, before.GetProperty("current_key_id").GetString());
        Assert.Equal(new Dictionary<string, int> { [newId] = 0, [oldId] = 40 }, Counts(before));
        Assert.Empty(Strings(before, "safe_to_disable"));
        Assert.Equal(40, pass.GetProperty("rewrapped").GetInt32());
        Assert.True(pass.GetProperty("complete").GetBoolean());
        Assert.Equal(new Dictionary<string, int> { [newId] = 40, [oldId] = 0 }, Counts(after));
        Assert.Equal([oldId], Strings(after, "safe_to_disable"));
        foreach (var seed in seeds)
        {
            var (status, view) = await SendAsync(host, HttpMethod.Get, "/api/mcp/notion/status", TestTokens.For(seed.Key.UserId, seed.Key.TenantId));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(view.GetProperty("connected").GetBoolean());
        }
    }

    [Fact]
    public async Task AdminRoleSetting_CustomRole_OnlyThatRoleOrScopeIsAdmitted()
    {
        await using var host = await TestHost.StartAsync(s => s["Auth:AdminRole"] = "Ops.Keys");

        var (defaultRole, problem) = await SendAsync(host, HttpMethod.Get, KeysApi.ReportRoute, AdminToken(AdminOptions.DefaultRole));
        var (customRole, _) = await SendAsync(host, HttpMethod.Get, KeysApi.ReportRoute, AdminToken("Ops.Keys"));

        Assert.Equal(HttpStatusCode.Forbidden, defaultRole);
        Assert.Contains("Ops.Keys", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, customRole);
    }
}
