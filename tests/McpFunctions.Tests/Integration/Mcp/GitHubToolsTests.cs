using System.Text.Json;
using McpFunctions.StandIns.GitHub;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>The GitHub tools through <c>tools/call</c>, against the GitHub stand-in, with a GitHub App user token seeded in the store.</summary>
[Collection(OAuthStandInsCollection.Name)]
public sealed class GitHubToolsTests(OAuthStandInsFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task NotConnected_WithoutAnOAuthClientHere_SaysHowToConnect()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        var result = await ResultAsync(Host, token, "tools/call", """{"name":"github_get_authenticated_user","arguments":{"account":"work"}}""");
        Assert.True(result.GetProperty("isError").GetBoolean());
        Assert.StartsWith("NOT_CONNECTED: GitHub not connected (account 'work')", result.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAuthenticatedUser_SendsTheHeadersGitHubRequires()
    {
        var (token, login, access) = await ConnectedAsync();
        fixture.GitHub.ClearRequests();

        var result = await ToolAsync(Host, token, "github_get_authenticated_user");

        Assert.False(IsError(result), Text(result));
        Assert.Equal(login, result.GetProperty("structuredContent").GetProperty("login").GetString());
        var sent = fixture.GitHub.Requests.Single();
        Assert.Equal($"Bearer {access}", sent.Header("Authorization"));
        Assert.Contains("application/vnd.github+json", sent.Header("Accept"), StringComparison.Ordinal);
        Assert.Equal(GitHubStandIn.ApiVersion, sent.Header("X-GitHub-Api-Version"));
        Assert.False(string.IsNullOrWhiteSpace(sent.Header("User-Agent")));
    }

    [Fact]
    public async Task ListRepos_PagesByPerPageAndPage()
    {
        var (token, login, _) = await ConnectedAsync();
        for (var i = 1; i <= 3; i++)
        {
            fixture.GitHub.AddRepo(login, $"repo-{i}", isPrivate: i == 3);
        }

        var first = await ToolAsync(Host, token, "github_list_repos", """{"per_page":2}""");
        var second = await ToolAsync(Host, token, "github_list_repos", """{"per_page":2,"page":2}""");
        var privateOnly = await ToolAsync(Host, token, "github_list_repos", """{"visibility":"private"}""");

        Assert.Equal([$"{login}/repo-1", $"{login}/repo-2"], Names(first, "full_name"));
        Assert.Equal([$"{login}/repo-3"], Names(second, "full_name"));
        Assert.Equal([$"{login}/repo-3"], Names(privateOnly, "full_name"));
    }

    [Fact]
    public async Task Issues_CreateThenGetListAndComment()
    {
        var (token, login, _) = await ConnectedAsync();
        fixture.GitHub.AddRepo(login, "tracker");

        var created = await ToolAsync(Host, token, "github_create_issue", $$"""{"owner":"{{login}}","repo":"tracker","title":"Crash on save","body":"Steps...","labels":["bug"]}""");
        var number = created.GetProperty("structuredContent").GetProperty("number").GetInt32();
        var comment = await ToolAsync(Host, token, "github_add_issue_comment", $$"""{"owner":"{{login}}","repo":"tracker","issue_number":{{number}},"body":"Reproduced."}""");
        var fetched = await ToolAsync(Host, token, "github_get_issue", $$"""{"owner":"{{login}}","repo":"tracker","issue_number":{{number}}}""");
        var listed = await ToolAsync(Host, token, "github_list_issues", $$"""{"owner":"{{login}}","repo":"tracker","labels":"bug"}""");
        var repo = await ToolAsync(Host, token, "github_get_repo", $$"""{"owner":"{{login}}","repo":"tracker"}""");

        Assert.False(IsError(created), Text(created));
        Assert.False(IsError(comment), Text(comment));
        var issue = fetched.GetProperty("structuredContent");
        Assert.Equal(("Crash on save", 1), (issue.GetProperty("title").GetString(), issue.GetProperty("comments").GetInt32()));
        Assert.Equal(["Crash on save"], Names(listed, "title"));
        Assert.Equal(1, repo.GetProperty("structuredContent").GetProperty("open_issues_count").GetInt32());
    }

    [Fact]
    public async Task SomeoneElsesPrivateRepo_IsA404WithTheInstallationHint()
    {
        var (token, _, _) = await ConnectedAsync();
        var other = "other-" + Guid.NewGuid().ToString("N")[..8];
        fixture.GitHub.AddUser(other);
        fixture.GitHub.AddRepo(other, "secret", isPrivate: true);

        var result = await ToolAsync(Host, token, "github_get_issue", $$"""{"owner":"{{other}}","repo":"secret","issue_number":1}""");

        Assert.True(IsError(result));
        Assert.Contains("404", Text(result), StringComparison.Ordinal);
        Assert.Contains("GitHub App is installed", Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateIssueWithoutTitle_IsRefusedBeforeGitHubIsCalled()
    {
        var (token, login, _) = await ConnectedAsync();
        var before = fixture.GitHub.RequestCount;

        var result = await ToolAsync(Host, token, "github_create_issue", $$"""{"owner":"{{login}}","repo":"tracker"}""");

        Assert.True(IsError(result));
        Assert.Contains("title", Text(result), StringComparison.Ordinal);
        Assert.Equal(before, fixture.GitHub.RequestCount);
    }

    private static List<string?> Names(JsonElement result, string property)
    {
        Assert.False(IsError(result), Text(result));
        return [.. result.GetProperty("structuredContent").GetProperty("result").EnumerateArray().Select(r => r.GetProperty(property).GetString())];
    }

    /// <summary>A fresh GitHub user who connected the app: the caller's bearer token, the login, and the stored access token.</summary>
    private async Task<(string Token, string Login, string Access)> ConnectedAsync()
    {
        var login = "dev-" + Guid.NewGuid().ToString("N")[..10];
        var id = fixture.GitHub.AddUser(login);
        var tokens = await fixture.GitHubTokensAsync(id);
        var token = await fixture.SeedConnectionAsync("github", tokens, new Dictionary<string, string> { ["login"] = login });
        return (token, login, tokens.GetProperty("access_token").GetString()!);
    }
}
