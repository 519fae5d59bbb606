using System.Net;
using System.Text;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration;

/// <summary>What the logs of a connect and of tool calls hold: who, where and what on every line, and never the secret.
/// Own host: the provider failures arranged here must not reach other tests' calls or circuit breakers.</summary>
public sealed class RequestLoggingTests : IAsyncLifetime
{
    private TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync(s => s["Providers:notion:TimeoutSeconds"] = "2");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Connect_AccountInTheBody_EveryLineCarriesTenantUserProviderAccountAndOperation()
    {
        var (user, token) = NewUser();
        var key = host.Notion.AddIntegration("Logged work");

        using var connect = await ConnectAsync(token, key, "work");

        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        var lines = LinesOf(user);
        Assert.Contains(lines, l => l.Contains("Connected notion", StringComparison.Ordinal));
        Assert.All(lines, l => AssertScope(l, "connect", "work"));
        AssertNoSecret(key);
    }

    [Fact]
    public async Task Connect_NoAccount_LinesNameTheDefaultAccount()
    {
        var (user, token) = NewUser();

        using var connect = await ConnectAsync(token, host.Notion.AddIntegration("Logged default"), account: null);

        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        Assert.NotEmpty(LinesOf(user));
        Assert.All(LinesOf(user), l => AssertScope(l, "connect", "default"));
    }

    [Fact]
    public async Task Connect_AccountNameThatIsNotOne_IsNotLoggedAsGiven()
    {
        var (user, token) = NewUser();

        using var connect = await ConnectAsync(token, host.Notion.AddIntegration("Logged bad"), "work\nForged line");

        Assert.Equal(HttpStatusCode.BadRequest, connect.StatusCode);
        Assert.NotEmpty(LinesOf(user));
        Assert.All(LinesOf(user), l => AssertScope(l, "connect", "(invalid)"));
        Assert.DoesNotContain("Forged line", host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolCalls_SucceedingAndFailingWith500And401_EveryLineCarriesTheScope_AndNoLineTheKey()
    {
        var (user, token) = NewUser();
        var key = host.Notion.AddIntegration("Logged tools");
        var page = host.Notion.AddPage(key, "Roadmap");
        using (var connect = await ConnectAsync(token, key, "work"))
        {
            Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        }

        var arguments = $$"""{"page_id":"{{page}}","account":"work"}""";
        var ok = await McpRpc.ToolAsync(host, token, "notion_read_page", arguments);
        Assert.False(McpRpc.IsError(ok), McpRpc.Text(ok));
        AssertNoSecret(key);

        host.Notion.FailNext(3, 500); // a GET: one call and two retries
        var failed = await McpRpc.ToolAsync(host, token, "notion_read_page", arguments);
        Assert.True(McpRpc.IsError(failed));
        Assert.Contains("HTTP 500", McpRpc.Text(failed), StringComparison.Ordinal);
        AssertNoSecret(key);

        host.Notion.RevokeToken(key);
        var rejected = await McpRpc.ToolAsync(host, token, "notion_read_page", arguments);
        Assert.True(McpRpc.IsError(rejected));
        Assert.Contains("HTTP 401", McpRpc.Text(rejected), StringComparison.Ordinal);
        AssertNoSecret(key);

        var toolLines = LinesOf(user).Where(l => l.Contains("Operation=mcp:tools/call", StringComparison.Ordinal)).ToList();
        Assert.Contains(toolLines, l => l.Contains("succeeded", StringComparison.Ordinal));
        Assert.Contains(toolLines, l => l.Contains("got HTTP 500", StringComparison.Ordinal));
        Assert.Contains(toolLines, l => l.Contains("got HTTP 401", StringComparison.Ordinal));
        Assert.All(LinesOf(user), l => AssertScope(l, l.Contains("Operation=connect", StringComparison.Ordinal) ? "connect" : "mcp:tools/call", "work"));
        Assert.All(toolLines, l => Assert.Contains("Tool=notion_read_page", l, StringComparison.Ordinal));
    }

    private (string User, string Token) NewUser()
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        return (user, TestTokens.For(user, "acme"));
    }

    private Task<HttpResponseMessage> ConnectAsync(string token, string key, string? account)
    {
        var body = account is null
            ? $$"""{"api_key":"{{key}}"}"""
            : $$"""{"api_key":"{{key}}","account":"{{System.Text.Json.JsonEncodedText.Encode(account)}}"}""";
        return host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, new StringContent(body, Encoding.UTF8, "application/json"));
    }

    /// <summary>Every captured line written inside a scope of this user (user ids are fresh per test).</summary>
    private List<string> LinesOf(string user) =>
        host.Logs.Lines.Where(l => l.Contains($"UserId={user},", StringComparison.Ordinal)).ToList();

    private static void AssertScope(string line, string operation, string account)
    {
        Assert.Contains("TenantId=acme,", line, StringComparison.Ordinal);
        Assert.Contains("Provider=notion,", line, StringComparison.Ordinal);
        Assert.Contains($"Account={account},", line, StringComparison.Ordinal);
        Assert.Contains($"Operation={operation}", line, StringComparison.Ordinal);
    }

    private void AssertNoSecret(string key)
    {
        Assert.NotEmpty(host.Logs.Lines);
        Assert.DoesNotContain(key, host.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), host.Logs.All, StringComparison.Ordinal);
    }
}
