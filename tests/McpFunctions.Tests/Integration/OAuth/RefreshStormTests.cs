using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpFunctions.Bench;
using McpFunctions.Core.Connections;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>The refresh storm: 100 concurrent tool calls on a connection whose token has expired, spread over two
/// LocalHost processes sharing Cosmos DB (and Redis, or not). The authorization server rotates refresh tokens and revokes
/// the whole grant on reuse, so a second refresh with the old token would fail calls and show in its counters.</summary>
public sealed class RefreshStormTests
{
    private const int Calls = 100;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HundredCallsOnTwoProcesses_ProviderSeesExactlyOneRefreshGrant(bool redisUp)
    {
        await using var rig = await OAuthRig.StartAsync();
        var environment = ProcessEnvironment(rig, redisUp);
        var logs = Path.Combine(Path.GetTempPath(), "storm-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(logs);
        var dll = Path.Combine(Repository.Root, "functions", "McpFunctions.LocalHost", "bin", "Release", "net10.0", "McpFunctions.LocalHost.dll");
        var started = await Task.WhenAll(
            LocalHostProcess.StartAsync(dll, environment, Path.Combine(logs, "a.log"), TimeSpan.FromSeconds(90), requireHealthy: redisUp),
            LocalHostProcess.StartAsync(dll, environment, Path.Combine(logs, "b.log"), TimeSpan.FromSeconds(90), requireHealthy: redisUp));
        await using var first = started[0];
        await using var second = started[1];

        var user = "storm-" + Guid.NewGuid().ToString("N")[..8];
        var token = TestTokens.For(user, "acme");
        await rig.ConnectAsync(token);
        // Expired as far as we know, so every call needs the refresh. Not by waiting out a short lifetime: the fresh
        // token would be as short, and a storm slower than that on a busy machine would rightly refresh it again.
        // With the server's 60 s tokens, a second grant during the storm can only be a duplicate.
        var past = DateTimeOffset.UtcNow.AddSeconds(-1);
        await rig.Host.Services.GetRequiredService<IConnectionStore>().UpdateAsync(
            new ConnectionKey("acme", user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount),
            c => c with { ExpiresAt = past, RefreshAfter = past },
            CancellationToken.None);
        await rig.Server.ResetStatsAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        var answers = await Task.WhenAll(Enumerable.Range(0, Calls).Select(i => CallAsync(http, i % 2 == 0 ? first.BaseAddress : second.BaseAddress, token, i)));

        var failures = answers.Where(a => !a.Ok).Select(a => a.Body).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {Calls} calls failed; first: {failures.FirstOrDefault()}; logs in {logs}");
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(1, stats.RefreshTokenGrants);
        Assert.Equal(0, stats.RefreshTokenReuses);
        Assert.Equal(0, stats.GrantErrors);
        Assert.Equal(0, stats.GrantsRevoked);
        Directory.Delete(logs, recursive: true);
    }

    private static async Task<(bool Ok, string Body)> CallAsync(HttpClient http, Uri host, string token, int id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host, "api/mcp"))
        {
            Content = new StringContent(
                $$$$"""{"jsonrpc":"2.0","id":{{{{id}}}},"method":"tools/call","params":{"name":"{{{{OAuthRig.Tool}}}}","arguments":{}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (false, body);
        }

        using var document = JsonDocument.Parse(body);
        var ok = document.RootElement.TryGetProperty("result", out var result)
            && !(result.TryGetProperty("isError", out var isError) && isError.GetBoolean());
        return (ok, body);
    }

    /// <summary>The in-process host's deployment, as environment variables for separate processes: same database, same key.</summary>
    private static Dictionary<string, string> ProcessEnvironment(OAuthRig rig, bool redisUp)
    {
        var environment = rig.Settings
            .Where(s => s.Value is not null)
            .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        environment["COSMOS__accountEndpoint"] = LocalServices.CosmosEndpoint;
        environment["COSMOS__accountKey"] = LocalServices.CosmosKey;
        environment["COSMOS__trustLoopbackCertificate"] = "true";
        environment["COSMOS__databaseName"] = rig.Host.DatabaseName;
        environment["MCP_ENCRYPTION_KEY"] = rig.Host.EncryptionKey;
        environment["Auth__SigningKey"] = TestTokens.SigningKey;
        environment["Auth__Issuer"] = TestTokens.Issuer;
        environment["Auth__Audience"] = TestTokens.Audience;
        environment["Jobs__Enabled"] = "false";
        // "Redis stopped": a port nothing listens on. Correctness must not depend on Redis.
        environment["REDIS_CONNECTION_STRING"] = redisUp ? LocalServices.RedisConnectionString : $"127.0.0.1:{OAuthRig.FreePort()}";
        return environment;
    }
}
