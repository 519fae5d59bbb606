using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration;

/// <summary>A provider that fails during key validation: PROVIDER_ERROR, nothing stored. Own host, so its
/// circuit breaker state cannot affect other tests.</summary>
public sealed class ProviderFailureTests : IAsyncLifetime
{
    private TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync(s => s["Providers:notion:TimeoutSeconds"] = "1");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Connect_ProviderFailsWith5xx_Returns502ProviderError_AfterRetries_AndStoresNothing(int status)
    {
        var key = host.Notion.AddIntegration("Flaky");
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        host.Notion.FailNext(3, status);
        host.Notion.ClearRequests();

        using var response = await Connect(token, key);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("PROVIDER_ERROR", problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("provider_status").GetInt32());
        Assert.Equal(3, host.Notion.RequestCount); // one call and two retries: GET is idempotent
        await AssertNothingStored(token);
    }

    [Fact]
    public async Task Connect_ProviderRateLimitsOnce_RetriesAfterRetryAfter_AndSucceeds()
    {
        var key = host.Notion.AddIntegration("Busy");
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        host.Notion.FailNext(1, 429, TimeSpan.FromSeconds(1));

        using var response = await Connect(token, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Connect_ProviderTimesOut_Returns502ProviderError_AndStoresNothing()
    {
        var key = host.Notion.AddIntegration("Slow");
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        host.Notion.ResponseDelay = TimeSpan.FromSeconds(3);
        try
        {
            using var response = await Connect(token, key);

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("PROVIDER_ERROR", problem.GetProperty("code").GetString());
            Assert.Contains("did not answer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            host.Notion.ResponseDelay = TimeSpan.Zero;
        }

        await AssertNothingStored(token);
    }

    private Task<HttpResponseMessage> Connect(string token, string key) =>
        host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, new StringContent($$"""{"api_key":"{{key}}"}""", Encoding.UTF8, "application/json"));

    private async Task AssertNothingStored(string token)
    {
        using var list = await host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        var body = await list.Content.ReadAsStringAsync();
        Assert.True(list.StatusCode == HttpStatusCode.OK, $"list answered {(int)list.StatusCode}: {body}");
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("connections").GetArrayLength());
    }
}
