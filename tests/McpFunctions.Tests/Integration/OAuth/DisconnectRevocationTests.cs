using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>Disconnect forgets the credential whatever revocation at the provider achieves, and says what it achieved:
/// the real authorization server answering 5xx, a revocation endpoint nobody listens on, and a provider whose catalog
/// entry has no revocation at all.</summary>
public sealed class DisconnectRevocationTests
{
    [Fact]
    public async Task RevocationEndpointAnswers503_DeletedAnyway_RevocationFailed()
    {
        await using var rig = await OAuthRig.StartAsync();
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, credential) = await rig.StoredAsync("acme", user);
        await rig.Server.ResetStatsAsync();
        await rig.Server.InjectFaultsAsync(rig.Server.RevocationEndpoint.AbsolutePath, 503, count: 1);

        var body = await DisconnectAsync(rig, token);

        Assert.True(body.GetProperty("disconnected").GetBoolean());
        Assert.Equal("failed", body.GetProperty("revocation").GetString());
        Assert.Null(await StoredAsync(rig, user));
        await AssertNotConnectedAsync(rig, token);
        var stats = await rig.Server.StatsAsync();
        Assert.Equal(1, stats.FaultsServed);
        Assert.Equal(0, stats.RevocationRequests);
        // Nothing reached the provider: its tokens live on until they expire, which is what "failed" tells the caller.
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.RefreshToken!));
    }

    [Fact]
    public async Task RevocationEndpointUnreachable_DeletedAnyway_RevocationFailed()
    {
        var closed = new Uri($"http://127.0.0.1:{OAuthRig.FreePort()}/token/revocation");
        await using var rig = await OAuthRig.StartAsync(provider: new GenericProviderOptions { Revocation = _ => closed });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);

        var body = await DisconnectAsync(rig, token);

        Assert.True(body.GetProperty("disconnected").GetBoolean());
        Assert.Equal("failed", body.GetProperty("revocation").GetString());
        Assert.Null(await StoredAsync(rig, user));
        await AssertNotConnectedAsync(rig, token);
    }

    [Fact]
    public async Task ProviderWithoutRevocation_DeletedAnyway_RevocationNotSupported()
    {
        await using var rig = await OAuthRig.StartAsync(provider: new GenericProviderOptions { Revocation = _ => null });
        var (user, token) = NewUser();
        await rig.ConnectAsync(token);
        var (_, credential) = await rig.StoredAsync("acme", user);
        await rig.Server.ResetStatsAsync();

        var body = await DisconnectAsync(rig, token);

        Assert.True(body.GetProperty("disconnected").GetBoolean());
        Assert.Equal("not_supported", body.GetProperty("revocation").GetString());
        Assert.Null(await StoredAsync(rig, user));
        await AssertNotConnectedAsync(rig, token);
        Assert.Equal(0, (await rig.Server.StatsAsync()).RevocationRequests);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.RefreshToken!));
    }

    private static async Task<System.Text.Json.JsonElement> DisconnectAsync(OAuthRig rig, string token)
    {
        using var response = await rig.Host.SendAsync(HttpMethod.Delete, "/api/mcp/generic/disconnect", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await OAuthRig.ReadJsonAsync(response);
    }

    /// <summary>What the chat backend sees afterwards: not connected, through the cache as a real caller reads it.</summary>
    private static async Task AssertNotConnectedAsync(OAuthRig rig, string token)
    {
        using var status = await rig.Host.SendAsync(HttpMethod.Get, "/api/mcp/generic/status", token);
        Assert.False((await OAuthRig.ReadJsonAsync(status)).GetProperty("connected").GetBoolean());
    }

    private static Task<StoredConnection?> StoredAsync(OAuthRig rig, string user) =>
        rig.Host.Services.GetRequiredService<IConnectionStore>().ReadLatestAsync(
            new ConnectionKey("acme", user, OAuthRig.ProviderId, ConnectionKey.DefaultAccount), CancellationToken.None);

    private static (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        return (user, TestTokens.For(user, "acme"));
    }
}
