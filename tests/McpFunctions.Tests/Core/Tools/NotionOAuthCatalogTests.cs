using McpFunctions.Core.Connections;
using McpFunctions.Core.Providers;
using static McpFunctions.Tests.Core.Tools.CatalogSamples;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>Notion stays an API-key provider and also offers its public-integration OAuth flow, with the same tools.</summary>
public sealed class NotionOAuthCatalogTests
{
    [Fact]
    public void Load_RealCatalog_NotionKeepsApiKeysAndAddsOAuth()
    {
        var notion = Provider("notion");

        Assert.Equal(AuthType.ApiKey, notion.Auth.Type);
        Assert.NotNull(notion.Auth.OAuth);
        Assert.Contains("/api/mcp/notion/connect", notion.Auth.ConnectHint, StringComparison.Ordinal);
    }

    [Fact]
    public void OAuth_FollowsNotionsDocumentedDialect()
    {
        var oauth = Provider("notion").Auth.OAuth!;

        Assert.Equal("https://api.notion.com/v1/oauth/authorize", oauth.AuthorizeUrl);
        Assert.Equal("https://api.notion.com/v1/oauth/token", oauth.TokenUrl);
        Assert.Equal(new OAuthRevocation("https://api.notion.com/v1/oauth/revoke", OAuthRevocation.JsonToken), oauth.Revocation);
        Assert.Equal((OAuthSettings.ClientSecretBasic, OAuthSettings.JsonFormat), (oauth.ClientAuth, oauth.TokenRequestFormat));
        Assert.False(oauth.Pkce);
        Assert.Equal("user", oauth.AuthorizeParameters!["owner"]);
        Assert.Equal(["bot_id", "workspace_id", "workspace_name"], oauth.TokenMetadata!.Keys.Order());
        Assert.All(oauth.TokenMetadata, m => Assert.Equal(m.Key, m.Value));
        Assert.True(oauth.IsInvalidGrant("invalid_grant"));
    }

    [Fact]
    public void Catalog_ToolNamesAreUniqueAcrossAllProviders()
    {
        var names = All.All.SelectMany(p => p.Tools).Select(t => t.Name).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(["github", "notion", "qlik"], All.All.Select(p => p.Id).Order(StringComparer.Ordinal));
    }
}
