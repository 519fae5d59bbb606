using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Connections;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using McpFunctions.Tests.Integration.Webhooks;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>The webhooks an OAuth connection's life sends, caused by the real flow against the real authorization
/// server and delivered to a real receiver: created at completion (or at the callback when completion is off),
/// deleted by a real disconnect; each signed so the documented verifier accepts it.</summary>
public sealed class ConnectionEventTests
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly string secret = "whsec-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    [Fact]
    public async Task RequireCompletionOff_CallbackActivatesStoresTokens_AndDeliversCreated()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await OAuthRig.StartAsync(configure: s =>
        {
            Webhooks(s, receiver);
            s["OAuth:RequireCompletion"] = "false";
        });
        var (user, token) = NewUser();

        var back = await rig.CallbackAsync(await rig.ApproveAsync(token, "work"));

        var outcome = OAuthBrowser.Query(back);
        Assert.Equal("connected", outcome["status"]);
        Assert.Equal("work", outcome["account"]);
        Assert.False(outcome.ContainsKey("completion"), back.ToString());
        using (var status = await rig.Host.SendAsync(HttpMethod.Get, "/api/mcp/generic/status?account=work", token))
        {
            var view = await OAuthRig.ReadJsonAsync(status);
            Assert.True(view.GetProperty("connected").GetBoolean());
            Assert.Equal("active", view.GetProperty("status").GetString());
        }

        var (connection, credential) = await rig.StoredAsync("acme", user, "work");
        Assert.Equal(ConnectionStatus.Active, connection.Status);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.AccessToken!));
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.RefreshToken!));
        var result = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool, """{"account":"work"}""");
        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));

        var created = Assert.Single(await receiver.WaitForAsync(1));
        AssertEvent(created, "connection.created", user, "work", "oauth2");
        Assert.DoesNotContain(credential.AccessToken!, created.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.RefreshToken!, created.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_DeliversCreated_AndARealDisconnect_DeliversDeleted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await OAuthRig.StartAsync(configure: s => Webhooks(s, receiver));
        var (user, token) = NewUser();

        await rig.ConnectAsync(token);
        var created = Assert.Single(await receiver.WaitForAsync(1));
        using var disconnect = await rig.Host.SendAsync(HttpMethod.Delete, "/api/mcp/generic/disconnect", token);
        var hooks = await receiver.WaitForAsync(2);

        AssertEvent(created, "connection.created", user, "default", "oauth2");
        Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);
        Assert.Equal("revoked", (await OAuthRig.ReadJsonAsync(disconnect)).GetProperty("revocation").GetString());
        var deleted = Assert.Single(hooks, h => h.Header("X-McpFunctions-Event") == "connection.deleted");
        AssertEvent(deleted, "connection.deleted", user, "default", "revocation:revoked");
        Assert.NotEqual(created.Header("X-McpFunctions-Delivery"), deleted.Header("X-McpFunctions-Delivery"));
        Assert.False(WebhookVerifier.Verify(secret + "x", deleted.Header(WebhookSignature.Header), deleted.Body, Tolerance, DateTimeOffset.UtcNow));
    }

    private void Webhooks(IDictionary<string, string?> settings, WebhookReceiver receiver)
    {
        settings["WEBHOOK_URL"] = receiver.Url.ToString();
        settings["WEBHOOK_HMAC_SECRET"] = secret;
    }

    private void AssertEvent(ReceivedWebhook hook, string type, string user, string account, string reason)
    {
        Assert.Equal(type, hook.Header("X-McpFunctions-Event"));
        Assert.True(WebhookVerifier.Verify(secret, hook.Header(WebhookSignature.Header), hook.Body, Tolerance, DateTimeOffset.UtcNow), hook.AllHeaders);
        using var body = JsonDocument.Parse(hook.Body);
        var root = body.RootElement;
        Assert.Equal(type, root.GetProperty("type").GetString());
        Assert.Equal(hook.Header("X-McpFunctions-Delivery"), root.GetProperty("id").GetString());
        Assert.Equal("acme", root.GetProperty("tenant_id").GetString());
        Assert.Equal(user, root.GetProperty("user_id").GetString());
        Assert.Equal(OAuthRig.ProviderId, root.GetProperty("provider").GetString());
        Assert.Equal(account, root.GetProperty("account").GetString());
        Assert.Equal(reason, root.GetProperty("reason").GetString());
    }

    private static (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        return (user, TestTokens.For(user, "acme"));
    }
}
