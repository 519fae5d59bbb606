using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>Refreshes and webhook deliveries on the <c>McpFunctions</c> meter: one count per refresh the provider saw,
/// however many calls waited on it; one per delivery attempt; no identity or secret in a tag.</summary>
public sealed class RefreshMetricsTests
{
    [Fact]
    public async Task TenCallsOnAnExpiringToken_OneRefreshCounted_AndTheCreatedWebhookCountedDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var secret = "whsec-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await using var rig = await OAuthRig.StartAsync(
            new OAuthServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(2) },
            configure: s =>
            {
                s["WEBHOOK_URL"] = receiver.Url.ToString();
                s["WEBHOOK_HMAC_SECRET"] = secret;
            },
            provider: new GenericProviderOptions { RefreshMarginSeconds = 300 });
        using var metrics = new MetricsRecorder(rig.Host.Services.GetRequiredService<IMeterFactory>());
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        var token = TestTokens.For(user, "acme");
        await rig.ConnectAsync(token);
        await receiver.WaitForAsync(1);
        await rig.Server.ResetStatsAsync();

        var calls = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool)));

        Assert.All(calls, c => Assert.False(McpRpc.IsError(c), McpRpc.Text(c)));
        Assert.Equal(1, (await rig.Server.StatsAsync()).RefreshTokenGrants);
        var refreshes = metrics.Of("mcpfunctions.token.refreshes");
        Assert.True(refreshes.Count > 0, string.Join("; ", metrics.All.Select(x => x.Instrument + " " + string.Join(",", x.Tags))));
        var refreshed = Assert.Single(refreshes, m => m.Tag("outcome") == "refreshed");
        Assert.Equal((OAuthRig.ProviderId, "expiring"), (refreshed.Tag("provider"), refreshed.Tag("trigger")));
        Assert.All(refreshes, m => Assert.Contains(m.Tag("outcome"), new[] { "refreshed", "not_needed" }));
        var delivered = Assert.Single(metrics.Of("mcpfunctions.webhook.deliveries"));
        Assert.Equal(("connection.created", "delivered"), (delivered.Tag("event"), delivered.Tag("outcome")));
        var (_, credential) = await rig.StoredAsync("acme", user);
        Assert.DoesNotContain(metrics.All.SelectMany(m => m.Tags.Values),
            v => v.Contains(user, StringComparison.Ordinal) || v.Contains(credential.AccessToken!, StringComparison.Ordinal) || v.Contains(credential.RefreshToken!, StringComparison.Ordinal));
    }
}
