using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.CatalogSamples;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>The real Qlik Cloud catalog entry through the loader, the validator and the renderer.</summary>
public sealed class QlikCatalogToolsTests
{
    private const string AppId = "6b4b9c3e-2f1d-4a8e-9c47-1f0e2d3c4b5a";

    public static TheoryData<string> QlikToolNames() => ToolNames("qlik");

    [Fact]
    public void Load_RealCatalog_QlikIsAnOAuthProviderOnTheTenantHost()
    {
        var qlik = Provider("qlik");
        var oauth = qlik.Auth.OAuth!;

        Assert.Equal(AuthType.OAuth2, qlik.Auth.Type);
        Assert.Equal(("/oauth/authorize", "/oauth/token"), (oauth.AuthorizeUrl, oauth.TokenUrl));
        Assert.Equal(new OAuthRevocation("/oauth/revoke", OAuthRevocation.Rfc7009), oauth.Revocation);
        Assert.True(oauth.Pkce);
        Assert.Equal((OAuthSettings.ClientSecretPost, OAuthSettings.FormFormat), (oauth.ClientAuth, oauth.TokenRequestFormat));
        Assert.Equal(["user_default", "offline_access"], oauth.Scopes);
        Assert.Equal(new Uri("https://your-tenant.us.qlikcloud.com"), qlik.Api.BaseUrl);
    }

    [Fact]
    public void OAuthUrls_ResolveUnderTheOverriddenTenantUrl()
    {
        var oauth = Provider("qlik").Auth.OAuth!;
        var tenant = new Uri("https://acme.eu.qlikcloud.com/");

        Assert.Equal(new Uri("https://acme.eu.qlikcloud.com/oauth/token"), OAuthSettings.Resolve(oauth.TokenUrl, tenant));
        Assert.Equal(new Uri("https://acme.eu.qlikcloud.com/oauth/authorize"), OAuthSettings.Resolve(oauth.AuthorizeUrl, tenant));
        Assert.Equal(new Uri("https://acme.eu.qlikcloud.com/oauth/revoke"), OAuthSettings.Resolve(oauth.Revocation!.Url, tenant));
    }

    [Theory]
    [InlineData("OAUTH-5", true)]
    [InlineData("invalid_grant", true)]
    [InlineData("OAUTH-1", false)]
    [InlineData(null, false)]
    public void IsInvalidGrant_QlikUnauthorizedCode_MeansReconnect(string? error, bool dead)
    {
        Assert.Equal(dead, Provider("qlik").Auth.OAuth!.IsInvalidGrant(error));
    }

    [Fact]
    public void Identity_KeepsUserAndTenant()
    {
        var identity = Provider("qlik").Auth.Identity!;

        Assert.Equal(("GET", "/api/v1/users/me"), (identity.Method, identity.Path));
        Assert.Equal("tenantId", identity.Metadata!["tenant_id"]);
        Assert.Equal("name", identity.Metadata["user_name"]);
    }

    [Theory]
    [MemberData(nameof(QlikToolNames))]
    public void Render_MinimalRequiredArguments_ValidatesAndStaysUnderTheApi(string toolName)
    {
        var tool = Tool("qlik", toolName);
        var arguments = MinimalArguments(tool.InputSchema);

        Assert.Null(ToolInputSchema.Compile(tool.InputSchema).Validate(arguments));
        var call = ToolRequestRenderer.Render(tool, arguments);

        Assert.Equal("GET", call.Method);
        Assert.StartsWith("/api/v1/", call.PathAndQuery, StringComparison.Ordinal);
        Assert.DoesNotContain('{', call.PathAndQuery);
        Assert.True(call.JsonBody.IsEmpty);
    }

    [Fact]
    public void Render_GetAppsWithFilters_SendsQliksQueryParameters()
    {
        var tool = Tool("qlik", "qlik_get_apps");

        var call = ToolRequestRenderer.Render(tool, JsonOf("""{"name":"Sales 2026","spaceId":"personal","sort":"-updatedAt","limit":50,"next":"abc=="}"""));

        Assert.Equal("/api/v1/items?resourceType=app&noActions=true&name=Sales%202026&spaceId=personal&sort=-updatedAt&limit=50&next=abc%3D%3D", call.PathAndQuery);
    }

    [Fact]
    public void Render_GetAppsWithoutArguments_ListsAppsOnly()
    {
        var call = ToolRequestRenderer.Render(Tool("qlik", "qlik_get_apps"), JsonOf("{}"));

        Assert.Equal("/api/v1/items?resourceType=app&noActions=true", call.PathAndQuery);
    }

    [Theory]
    [InlineData("qlik_get_apps")]
    [InlineData("qlik_list_spaces")]
    public void Listings_FollowTheCursorInsideLinksNextHref(string toolName)
    {
        var paging = Tool("qlik", toolName).Request.Paginate!;

        Assert.Equal(("query", "next", "links.next.href", "next", "data"), (paging.CursorIn, paging.CursorParameter, paging.NextCursorField, paging.NextCursorQueryParameter, paging.ItemsField));
        Assert.Null(paging.HasMoreField);
        Assert.Equal("next", paging.CursorOutputName);
        Assert.Equal(10, paging.MaxPages);
    }

    [Fact]
    public void Render_GetApp_PutsTheGuidInThePath()
    {
        var call = ToolRequestRenderer.Render(Tool("qlik", "qlik_get_app"), JsonOf($$"""{"appId":"{{AppId}}"}"""));

        Assert.Equal($"/api/v1/apps/{AppId}", call.PathAndQuery);
    }

    [Theory]
    [InlineData("""{"appId":"../users/me"}""", "appId")]
    [InlineData("""{"appId":"6b4b9c3e2f1d4a8e9c471f0e2d3c4b5a"}""", "appId")]
    [InlineData("""{"appId":"6b4b9c3e-2f1d-4a8e-9c47-1f0e2d3c4b5a","tenant":"x"}""", "tenant")]
    public void Validate_GetAppWithBadArguments_NamesTheField(string arguments, string field)
    {
        var failure = ToolInputSchema.Compile(Tool("qlik", "qlik_get_app").InputSchema).Validate(JsonOf(arguments));

        Assert.NotNull(failure);
        Assert.Contains(field, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"limit":0}""")]
    [InlineData("""{"limit":101}""")]
    [InlineData("""{"sort":"name"}""")]
    [InlineData("""{"spaceId":"a/b"}""")]
    public void Validate_GetAppsOutsideQliksLimits_IsRefused(string arguments)
    {
        Assert.NotNull(ToolInputSchema.Compile(Tool("qlik", "qlik_get_apps").InputSchema).Validate(JsonOf(arguments)));
    }

    [Fact]
    public void Render_SpaceIdThatIsADot_IsRefusedByTheRenderer()
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(Tool("qlik", "qlik_get_space"), JsonOf("""{"spaceId":".."}""")));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
    }

    [Fact]
    public void Tools_AreAllReadOnly()
    {
        Assert.All(Provider("qlik").Tools, t => Assert.True(t.Annotations?.ReadOnlyHint));
        Assert.Equal(5, Provider("qlik").Tools.Count);
        Assert.Equal(JsonValueKind.Object, Tool("qlik", "qlik_get_current_user").InputSchema.ValueKind);
    }
}
