using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpFunctions.BenchPeer;

/// <summary>The bench's tool: <c>notion_get_bot_user</c>, the same provider call as ours (<c>GET /v1/users/me</c>).</summary>
/// <remarks>Written as a user would: the provider's answer passed through as text, an error status as <c>isError</c>.</remarks>
[McpServerToolType]
public sealed class NotionBotUserTool(IHttpClientFactory clients)
{
    public const string ClientName = "notion";

    private static readonly Uri BotUser = new("v1/users/me", UriKind.Relative);

    [McpServerTool(Name = "notion_get_bot_user", Title = "Get Notion integration bot user", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = true)]
    [Description("Retrieve the bot user behind the integration token: its id and name, bot.owner and bot.workspace_name.")]
    public async Task<CallToolResult> GetBotUserAsync(CancellationToken cancellationToken)
    {
        using var response = await clients.CreateClient(ClientName).GetAsync(BotUser, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = body }],
            IsError = !response.IsSuccessStatusCode,
        };
    }
}
