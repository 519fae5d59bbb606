using System.Diagnostics.Metrics;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Tool calls are counted by provider, tool and outcome on the <c>McpFunctions</c> meter, with nothing identifying or secret in a tag.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ToolMetricsTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task ToolCalls_CountedByOutcome_TagsNameNoUserAndNoSecret()
    {
        using var metrics = new MetricsRecorder(Host.Services.GetRequiredService<IMeterFactory>());
        var (token, key) = await ConnectedUserAsync(Host, "Metrics");
        var stranger = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        Assert.False(IsError(await ToolAsync(Host, token, "notion_get_bot_user")));
        Assert.True(IsError(await ToolAsync(Host, token, "notion_get_user", """{"user_id":42}""")));
        Assert.True(IsError(await ToolAsync(Host, stranger, "notion_get_bot_user")));

        var calls = metrics.Of("mcpfunctions.tool.calls");
        Assert.Equal(
            ["notion_get_bot_user:ok", "notion_get_user:VALIDATION_ERROR", "notion_get_bot_user:NOT_CONNECTED"],
            calls.Select(c => $"{c.Tag("tool")}:{c.Tag("outcome")}"));
        Assert.All(calls, c => Assert.Equal("notion", c.Tag("provider")));
        Assert.Equal(3, metrics.Of("mcpfunctions.tool.duration").Count(m => m.Value >= 0));

        var all = metrics.All;
        Assert.DoesNotContain(all.SelectMany(m => m.Tags.Values), v => v.Contains(key, StringComparison.Ordinal) || v.Contains("user-", StringComparison.Ordinal) || v.Contains("acme", StringComparison.Ordinal));
        Assert.All(all, m => Assert.Equal(["outcome", "provider", "tool"], m.Tags.Keys.Order(StringComparer.Ordinal)));
    }
}
