using System.Net;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Http.Admin;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Keys;

/// <summary>What the key-rotation tests share: hosts on the Key Vault stand-in, seeding, admin calls.</summary>
internal static class KeyTestSupport
{
    public static string AdminToken(string role = AdminOptions.DefaultRole) =>
        TestTokens.WithRoles("ops-" + Guid.NewGuid().ToString("N")[..8], "ops", role);

    /// <summary>A LocalHost whose key ring is the Key Vault ring, reaching the stand-in through the real SecretClient.</summary>
    public static Task<TestHost> StartOnVaultAsync(StandInVault vault, Action<IDictionary<string, string?>>? configure = null) =>
        TestHost.StartAsync(
            settings =>
            {
                vault.Configure(settings);
                configure?.Invoke(settings);
            },
            overrideServices: vault.ReplaceKeyRing);

    /// <summary>Stores <paramref name="count"/> API-key credentials directly (store + protector), in parallel batches.</summary>
    public static async Task<IReadOnlyList<Seed>> SeedAsync(TestHost host, string tenant, int count, CredentialProtector? protector = null)
    {
        protector ??= host.Services.GetProtector();
        var store = host.Services.GetStore();
        var seeds = Enumerable.Range(0, count)
            .Select(i => new Seed(new ConnectionKey(tenant, $"user-{i:D4}", "notion", ConnectionKey.DefaultAccount), $"ntn_seed_{i:D4}_{Guid.NewGuid():N}"))
            .ToList();
        foreach (var batch in seeds.Chunk(100))
        {
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (seed, ct) =>
            {
                var sealedCredential = await protector.ProtectAsync(new Credential(ApiKey: seed.Secret), seed.Key, ct);
                var connection = new Connection(
                    seed.Key, AuthType.ApiKey, ConnectionStatus.Active, sealedCredential, [], new Dictionary<string, string>(), DateTimeOffset.UtcNow);
                Assert.NotNull(await store.TryCreateAsync(connection, ct));
            });
        }

        return seeds;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestHost host, HttpMethod method, string path, string? token)
    {
        using var response = await host.SendAsync(method, path, token);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public static async Task<JsonElement> ReportAsync(TestHost host)
    {
        var (status, body) = await SendAsync(host, HttpMethod.Get, KeysApi.ReportRoute, AdminToken());
        Assert.True(status == HttpStatusCode.OK, $"report: {status} {body}");
        return body;
    }

    public static async Task<JsonElement> RewrapAsync(TestHost host, int? max = null)
    {
        var (status, body) = await SendAsync(host, HttpMethod.Post, KeysApi.RewrapRoute + (max is { } m ? $"?max={m}" : ""), AdminToken());
        Assert.True(status == HttpStatusCode.OK, $"rewrap: {status} {body}");
        return body;
    }

    /// <summary>Credentials per key id, as the report shows them.</summary>
    public static Dictionary<string, int> Counts(JsonElement report) =>
        report.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key_id").GetString()!, k => k.GetProperty("credentials").GetInt32());

    public static List<string> Strings(JsonElement report, string property) =>
        [.. report.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}

/// <summary>One seeded credential: its owner and its secret.</summary>
internal sealed record Seed(ConnectionKey Key, string Secret);
