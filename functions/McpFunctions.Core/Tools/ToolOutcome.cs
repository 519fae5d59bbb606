using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>What a tool call came to; the MCP layer turns each case into the wire form the spec asks for.</summary>
public abstract record ToolOutcome
{
    private ToolOutcome()
    {
    }

    /// <summary>The provider answered 2xx: its JSON and a text rendering of it.</summary>
    public sealed record Succeeded(JsonElement Structured, string Text) : ToolOutcome;

    /// <summary>A failure the model can act on (an <c>isError</c> result), never a protocol error.</summary>
    public sealed record Failed(ErrorCode Code, string Message, int? ProviderStatus = null) : ToolOutcome;

    /// <summary>The user must (re)authorize in a browser before the tool can run: URL elicitation (-32042).</summary>
    public sealed record AuthorizationRequired(ProviderDescriptor Provider, string Account, string Message) : ToolOutcome;
}
