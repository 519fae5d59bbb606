using System.Net;
using System.Text;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>
/// The official conformance runner (<c>@modelcontextprotocol/conformance</c> 0.1.13, the newest that runs on Node 20) against the LocalHost.
/// The runner cannot send a header, so <c>tools/localstack/mcp-conformance.mjs</c> puts a loopback proxy
/// in front of <c>/api/mcp</c> that adds the caller's bearer token.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class McpConformanceTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Theory]
    [InlineData("server-initialize")]
    [InlineData("ping")]
    [InlineData("tools-list")]
    [InlineData("dns-rebinding-protection")]
    public async Task ConformanceScenario_ConnectedUser_Passes(string scenario)
    {
        var token = await ConnectedUserToken();

        var run = await NodeScript.RunAsync("mcp-conformance.mjs", [Host.BaseAddress.ToString(), token, scenario]);

        Assert.True(run.ExitCode == 0, run.Describe());
        var result = run.Json;
        var checks = result.GetProperty("checks").EnumerateArray().ToList();
        Assert.True(checks.Count > 0, "The runner reported no checks. " + run.Describe());
        Assert.All(checks, c => Assert.True(c.GetProperty("status").GetString() == "SUCCESS", c.GetRawText() + "\n" + run.Describe()));
        // The proxy forwarded the runner's requests, and none was refused for want of a token.
        var statuses = result.GetProperty("exchanges").EnumerateArray().Select(e => e.GetProperty("status").GetInt32()).ToList();
        Assert.NotEmpty(statuses);
        Assert.DoesNotContain(401, statuses);
        if (scenario == "tools-list")
        {
            var toolCount = checks.Single(c => c.GetProperty("id").GetString() == "tools-list").GetProperty("details").GetProperty("toolCount").GetInt32();
            Assert.Equal(21, toolCount);
        }
    }

    private async Task<string> ConnectedUserToken()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var apiKey = Host.Notion.AddIntegration("Conformance");
        using var body = new StringContent($$"""{"api_key":"{{apiKey}}"}""", Encoding.UTF8, "application/json");
        using var connect = await Host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, body);
        Assert.True(connect.StatusCode == HttpStatusCode.OK, await connect.Content.ReadAsStringAsync());
        return token;
    }
}
