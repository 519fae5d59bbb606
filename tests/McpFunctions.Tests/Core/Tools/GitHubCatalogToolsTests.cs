using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.CatalogSamples;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>The real GitHub catalog entry (GitHub App user-to-server tokens) through the loader, validator and renderer.</summary>
public sealed class GitHubCatalogToolsTests
{
    public static TheoryData<string> GitHubToolNames() => ToolNames("github");

    [Fact]
    public void Load_RealCatalog_GitHubUsesTheAppUserTokenFlow()
    {
        var github = Provider("github");
        var oauth = github.Auth.OAuth!;

        Assert.Equal(AuthType.OAuth2, github.Auth.Type);
        Assert.Equal("https://github.com/login/oauth/authorize", oauth.AuthorizeUrl);
        Assert.Equal("https://github.com/login/oauth/access_token", oauth.TokenUrl);
        Assert.Equal(new OAuthRevocation("https://api.github.com/applications/{client_id}/grant", OAuthRevocation.GitHubGrant), oauth.Revocation);
        Assert.True(oauth.Pkce);
        Assert.Equal((OAuthSettings.ClientSecretPost, OAuthSettings.FormFormat), (oauth.ClientAuth, oauth.TokenRequestFormat));
        Assert.Equal(184, oauth.RefreshTokenIdleDays);
        Assert.Null(oauth.Scopes);
    }

    [Theory]
    [InlineData("bad_refresh_token", true)]
    [InlineData("bad_verification_code", true)]
    [InlineData("incorrect_client_credentials", false)]
    [InlineData("redirect_uri_mismatch", false)]
    public void IsInvalidGrant_OnlyDeadGrantsMeanReconnect(string error, bool dead)
    {
        Assert.Equal(dead, Provider("github").Auth.OAuth!.IsInvalidGrant(error));
    }

    [Fact]
    public void Api_SendsTheHeadersGitHubRequires()
    {
        var api = Provider("github").Api;

        Assert.Equal(new Uri("https://api.github.com"), api.BaseUrl);
        Assert.Equal("application/vnd.github+json", api.Headers!["Accept"]);
        Assert.Equal("2022-11-28", api.Headers["X-GitHub-Api-Version"]);
        Assert.False(string.IsNullOrWhiteSpace(api.Headers["User-Agent"]));
        Assert.Equal("Bearer ghu_x", api.AuthHeader.Render("ghu_x"));
    }

    [Fact]
    public void Identity_KeepsTheLogin()
    {
        var identity = Provider("github").Auth.Identity!;

        Assert.Equal(("GET", "/user"), (identity.Method, identity.Path));
        Assert.Equal("login", identity.Metadata!["login"]);
    }

    [Theory]
    [MemberData(nameof(GitHubToolNames))]
    public void Render_MinimalRequiredArguments_ValidatesAndFillsThePath(string toolName)
    {
        var tool = Tool("github", toolName);
        var arguments = MinimalArguments(tool.InputSchema);

        Assert.Null(ToolInputSchema.Compile(tool.InputSchema).Validate(arguments));
        var call = ToolRequestRenderer.Render(tool, arguments);

        Assert.Equal(tool.Request.Method, call.Method);
        Assert.StartsWith("/", call.PathAndQuery, StringComparison.Ordinal);
        Assert.DoesNotContain('{', call.PathAndQuery);
    }

    [Fact]
    public void Render_GetIssue_BuildsTheRepositoryPath()
    {
        var call = ToolRequestRenderer.Render(Tool("github", "github_get_issue"), JsonOf("""{"owner":"octocat","repo":"hello-world","issue_number":42}"""));

        Assert.Equal(("GET", "/repos/octocat/hello-world/issues/42"), (call.Method, call.PathAndQuery));
    }

    [Fact]
    public void Render_CreateIssue_SendsOnlyTheGivenFields()
    {
        var call = ToolRequestRenderer.Render(Tool("github", "github_create_issue"),
            JsonOf("""{"owner":"octocat","repo":"hello-world","title":"Found a bug","labels":["bug"]}"""));

        Assert.Equal(("POST", "/repos/octocat/hello-world/issues"), (call.Method, call.PathAndQuery));
        Assert.Equal("""{"title":"Found a bug","labels":["bug"]}""", Text(call.JsonBody));
    }

    [Fact]
    public void Render_ListRepos_PassesPaging()
    {
        var call = ToolRequestRenderer.Render(Tool("github", "github_list_repos"), JsonOf("""{"visibility":"private","per_page":100,"page":2}"""));

        Assert.Equal("/user/repos?visibility=private&per_page=100&page=2", call.PathAndQuery);
    }

    [Theory]
    [InlineData("""{"owner":"octo/cat","repo":"x","issue_number":1}""", "owner")]
    [InlineData("""{"owner":"octocat","repo":"a/b","issue_number":1}""", "repo")]
    [InlineData("""{"owner":"octocat","repo":"x","issue_number":0}""", "issue_number")]
    [InlineData("""{"owner":"octocat","repo":"x","issue_number":"1"}""", "issue_number")]
    public void Validate_GetIssueWithBadArguments_NamesTheField(string arguments, string field)
    {
        var failure = ToolInputSchema.Compile(Tool("github", "github_get_issue").InputSchema).Validate(JsonOf(arguments));

        Assert.NotNull(failure);
        Assert.StartsWith(field, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RepoNamedDotDot_IsRefusedEvenThoughThePatternAllowsDots()
    {
        var tool = Tool("github", "github_get_repo");
        var arguments = JsonOf("""{"owner":"octocat","repo":".."}""");

        Assert.Null(ToolInputSchema.Compile(tool.InputSchema).Validate(arguments));
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(tool, arguments));
        Assert.Equal(ErrorCode.ValidationError, ex.Code);
    }

    [Fact]
    public void Tools_WritesAreMarkedAsSuch()
    {
        var github = Provider("github");

        Assert.Equal(7, github.Tools.Count);
        Assert.All(github.Tools.Where(t => t.Request.Method == "POST"), t => Assert.False(t.Annotations!.ReadOnlyHint));
        Assert.All(github.Tools.Where(t => t.Request.Method == "GET"), t => Assert.True(t.Annotations!.ReadOnlyHint));
    }
}
