using System.Net;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>A generic OAuth 2.0 provider defined by app settings alone (<c>Providers__generic__Definition</c> plus its
/// client id and secret, no catalog folder), as a Flex Consumption deployment would configure it, connected end to end
/// against the real authorization server.</summary>
public sealed class ProviderDefinitionSettingTests
{
    [Fact]
    public async Task ProviderDefinedOnlyBySettings_AuthorizeCallbackCompleteAndToolCall()
    {
        await using var rig = await OAuthRig.StartAsync(provider: new GenericProviderOptions { DefinedBy = ProviderDefinitionSource.AppSetting });
        Assert.DoesNotContain("Providers:CatalogPath", rig.Settings.Keys);
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        var token = TestTokens.For(user, "acme");

        var view = await rig.ConnectAsync(token);
        var result = await McpRpc.ToolAsync(rig.Host, token, OAuthRig.Tool);

        Assert.Equal(OAuthRig.ProviderId, view.GetProperty("provider").GetString());
        Assert.Equal("active", view.GetProperty("status").GetString());
        Assert.False(McpRpc.IsError(result), McpRpc.Text(result));
        Assert.Contains("\"sub\":\"alice\"", McpRpc.Text(result).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(1, (await rig.Server.StatsAsync()).AuthorizationCodeGrants);
        var (_, credential) = await rig.StoredAsync("acme", user);
        Assert.True(await rig.Server.IsActiveAsync(rig.Client, credential.AccessToken!));

        // The API-key-only sibling, defined by its own setting, is in the catalog too (else 404 PROVIDER_NOT_FOUND).
        using var sibling = await rig.Host.SendAsync(
            HttpMethod.Post, $"/api/mcp/{OAuthRig.ApiKeyProviderId}/authorize", token, OAuthRig.Json($$"""{"return_url":"{{OAuthRig.ReturnUrl}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, sibling.StatusCode);
        Assert.Equal("VALIDATION_ERROR", (await OAuthRig.ReadJsonAsync(sibling)).GetProperty("code").GetString());
    }
}
