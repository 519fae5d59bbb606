using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;

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
    public async Task Health_RedisDown_Returns503NamingRedis()
    {
        await using var host = await TestHost.StartAsync(s => s["REDIS_CONNECTION_STRING"] = $"127.0.0.1:{UnusedPort()},password=do-not-leak-this");
        using var response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", body.GetProperty("components").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("cosmos").GetProperty("status").GetString());
        Assert.DoesNotContain("do-not-leak-this", text, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak-this", host.Logs.All, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
