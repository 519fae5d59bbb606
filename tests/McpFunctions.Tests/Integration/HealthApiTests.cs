using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Keys;

namespace McpFunctions.Tests.Integration;

public sealed class HealthApiTests
{
    [Fact]
    public async Task Health_AllUp_Returns200WithEachComponent()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        foreach (var component in new[] { "cosmos", "redis", "keyRing" })
        {
            Assert.Equal("healthy", body.GetProperty("components").GetProperty(component).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Health_RedisDown_IsDegradedButReady()
    {
        // Tool calls carry on without Redis: a load balancer must not take the instance out for it.
        await using var host = await TestHost.StartAsync(s => s["REDIS_CONNECTION_STRING"] = $"127.0.0.1:{LoopbackPort.Unused()},password=do-not-leak-this");
        using var response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("degraded", body.GetProperty("components").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("cosmos").GetProperty("status").GetString());
        Assert.DoesNotContain("do-not-leak-this", text, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak-this", host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_AnswersWithoutTouchingAnyDependency()
    {
        await using var host = await StartWithCosmosUnreachableAsync();

        using var live = await host.Http.GetAsync(new Uri("/api/health/live", UriKind.Relative));
        using var ready = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("alive", JsonDocument.Parse(await live.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task Health_CosmosUnreachable_Returns503NamingCosmos()
    {
        await using var host = await StartWithCosmosUnreachableAsync();
        using var response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var components = JsonDocument.Parse(text).RootElement.GetProperty("components");
        Assert.Equal("unhealthy", JsonDocument.Parse(text).RootElement.GetProperty("status").GetString());
        Assert.Equal("unhealthy", components.GetProperty("cosmos").GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(components.GetProperty("cosmos").GetProperty("error").GetString()));
        Assert.Equal("healthy", components.GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("healthy", components.GetProperty("keyRing").GetProperty("status").GetString());
        Assert.DoesNotContain(LocalServices.CosmosKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(LocalServices.CosmosKey, host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_KeyVaultUnreachableSinceStartup_StartsAndReturns503NamingKeyRing()
    {
        // The Key Vault key ring through the real SecretClient against the Key Vault stand-in, which answers 503 to
        // everything: an outage on a cold start. The host starts anyway, and health says which part is down.
        await using var vault = await StandInVault.StartAsync();
        vault.AddVersion();
        vault.Server.Offline = true;
        await using var host = await KeyTestSupport.StartOnVaultAsync(vault);

        using var response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", body.GetProperty("components").GetProperty("keyRing").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("cosmos").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("redis").GetProperty("status").GetString());
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("could not load its keys at startup", StringComparison.Ordinal));
        Assert.Contains(vault.Server.Requests, r => r.Status == 503);
    }

    /// <summary>Nothing listens at its Cosmos endpoint: the real client's connections are refused. Startup must not wait on it.</summary>
    private static Task<TestHost> StartWithCosmosUnreachableAsync() => TestHost.StartAsync(s =>
    {
        s["COSMOS:accountEndpoint"] = $"https://127.0.0.1:{LoopbackPort.Unused()}/";
        s["COSMOS:createIfMissing"] = "false";
        // A database the host does not own: disposing it then does not try to delete it over the refused connection.
        s["COSMOS:databaseName"] = "unreachable-" + Guid.NewGuid().ToString("N")[..8];
    });
}
